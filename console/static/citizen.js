// The citizen's view: what the citizen has to do now, in the citizen's language (Session.citizen_language),
// for the tablet turned round or a second screen. It follows the open visit (GetActiveSession on every
// device event, which is when a step moves) and shows the photo the operator is looking at before it is
// kept (from the operator's page, over a BroadcastChannel of this browser: the picture never leaves it).
import { call, openSocket } from "./api.js";
import { loadTexts, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 2000;
const state = { session: null, photo: null, language: "" };
window.kitCitizen = state;

async function refresh() {
  try {
    const active = await call("GetActiveSession");
    state.session = active.session || null;
  } catch {
    state.session = null;
  }
  await render();
}

async function render() {
  const session = state.session;
  const language = session ? session.citizen_language : new URLSearchParams(location.search).get("lang") || navigator.language;
  if (language !== state.language) {
    await loadTexts(language);
    state.language = language;
  }
  let heading = t("citizen.welcome");
  let words = t("citizen.waiting");
  const step = session && session.steps.find((s) => s.step_id === session.next_step_id);
  if (state.photo) {
    heading = t("citizen.photo_title");
    words = t("citizen.photo");
  } else if (step && step.kind === "CAPTURE_KIND_FACE") {
    heading = t("citizen.face_title");
    words = t("citizen.face");
  } else if (step && step.kind === "CAPTURE_KIND_FINGER") {
    heading = t("citizen.finger_title");
    words = t("citizen.finger", { finger: t(`finger.${step.finger}`) });
  } else if (step && step.kind === "CAPTURE_KIND_SIGNATURE") {
    heading = t("citizen.signature_title");
    words = t("citizen.signature");
  } else if (session) {
    heading = t("citizen.done_title");
    words = t("citizen.done");
  }
  if ($("citizen-heading").textContent !== heading) $("citizen-heading").textContent = heading;
  if ($("citizen-say").textContent !== words) $("citizen-say").textContent = words;
  $("citizen-photo").hidden = !state.photo;
  if (state.photo) {
    $("citizen-photo-image").src = `data:image/jpeg;base64,${state.photo}`;
    $("citizen-photo-image").alt = t("citizen.photo_alt");
  }
  document.title = t("citizen.title");
}

function follow() {
  const socket = openSocket("/ws/devices");
  socket.onmessage = () => refresh();
  socket.onclose = () => setTimeout(follow, REFRESH_MS);
}

const channel = new BroadcastChannel("kit-console-citizen");
channel.onmessage = (message) => {
  const data = message.data || {};
  if (data.photo !== undefined) state.photo = data.photo;
  refresh();
};

async function main() {
  await refresh();
  follow();
  // A step can move without a device event (an exception, an override): look again now and then.
  setInterval(refresh, REFRESH_MS);
  document.body.dataset.ready = "true";
}

main();
