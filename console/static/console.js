// The operator's console: one page, a screen per step of the visit that fits the tablet without
// scrolling. Every fixed text comes from the catalog (i18n.js); guidance, check advice, step titles
// and error messages come from the daemon, in the visit's operator language.
import { call, DaemonError, openSocket } from "./api.js";
import { applyTexts, catalogLanguages, currentLanguage, loadTexts, t } from "./i18n.js";
import { PenDrawing } from "./pen.js";
import { FacePreview } from "./preview.js";

const $ = (id) => document.getElementById(id);
const SCREENS = ["start", "visit", "receipt", "outbox"];
const STEP_PANELS = ["face", "finger", "signature", "finalize"];
const KIND_PANELS = { CAPTURE_KIND_FACE: "face", CAPTURE_KIND_FINGER: "finger", CAPTURE_KIND_SIGNATURE: "signature" };
const EXCEPTION_KINDS = ["AMPUTATED", "INJURED", "TEMPORARILY_UNABLE", "PERMANENTLY_UNABLE"];
const WAIVER_REASONS = ["ILLITERACY", "HANDICAP", "ILLNESS", "OTHER"];
const FILERS = ["CARE_PROVIDER", "SOCIAL_WORKER", "WELFARE_SERVICE", "CITIZEN"];
const PLACES = ["HOME", "CARE_HOME", "PSYCHIATRIC_CARE_HOME", "HOSPITAL", "OTHER_FACILITY"];
const DEVICE_RETRY_MS = 2000;
// How long an auto capture looks for a compliant picture before it keeps the best one it saw.
const FACE_TIMEOUT_MS = 10000;

const state = {
  kit: null,
  session: null,
  screen: "start",
  devices: new Map(),
  finger: null, // the open finger capture socket
  signature: null, // the open signature capture socket
  shown: "", // the screen or step on show, so focus moves only when it changes
  photo: null, // the photo just taken, on show for accept or retake: { attempt, image, timedOut }
  retake: false, // the live picture again, for another photo
  thumbs: new Map(), // step id -> the latest picture accepted for it, for the review
  exceptionFinger: null, // the finger chosen on the hand diagram for an exception
  livePrints: 0, // live images drawn (for the tests)
  journey: null, // the receipt on show, followed until the back office has its package
};

// The citizen's page (/citizen) in this browser: it shows the photo on show here, never stored.
const citizenChannel = new BroadcastChannel("kit-console-citizen");
function tellCitizen(message) {
  citizenChannel.postMessage(message);
}

const preview = new FacePreview($("face-canvas"), { onFrame: showPreviewFrame, onError: showError });
const pen = new PenDrawing($("signature-canvas"));
// For the browser tests and the bench: what the page has drawn.
window.kitConsole = { preview, pen, state, errorText: (error) => errorText(error) };

// -- texts and languages ------------------------------------------------------------------------

function languageName(code) {
  const key = `language.${code}`;
  const name = t(key);
  return name === key ? code : name;
}

function fillSelect(select, values, label, selected) {
  select.replaceChildren(
    ...values.map((value) => {
      const option = new Option(label(value), value);
      option.selected = value === selected;
      return option;
    }),
  );
}

async function setLanguage(tag) {
  await loadTexts(tag);
  localStorage.setItem("kit-console-language", currentLanguage());
  const kitLanguages = state.kit && state.kit.languages.length ? state.kit.languages : catalogLanguages();
  fillSelect($("ui-language"), catalogLanguages(), languageName, currentLanguage());
  for (const id of ["operator-language", "citizen-language"]) {
    const select = $(id);
    fillSelect(select, kitLanguages, languageName, select.value || currentLanguage());
  }
  fillSelect($("exception-kind"), ["", ...EXCEPTION_KINDS], (k) => (k ? t(`exception.${k}`) : t("finger.exception_choose")), $("exception-kind").value);
  for (const caption of $("hands").querySelectorAll("figcaption")) caption.textContent = t(caption.dataset.i18n);
  fillSelect($("waiver-reason"), WAIVER_REASONS, (k) => t(`waiver.${k}`), $("waiver-reason").value);
  fillSelect($("eligibility-filer"), FILERS, (k) => t(`filer.${k}`), $("eligibility-filer").value);
  fillSelect($("eligibility-place"), PLACES, (k) => t(`place.${k}`), $("eligibility-place").value);
  fillProfiles();
  renderDevices();
  if (state.session) renderSession();
}

// A document's name from the console's catalog; a profile the catalog does not know keeps its id.
function documentTitle(id) {
  const key = `document.${id}`;
  const name = t(key);
  return name === key ? id : name;
}

function fillProfiles() {
  if (!state.kit) return;
  const select = $("profile");
  const chosen = select.value || (state.kit.profiles.some((p) => p.id === "be-eid") ? "be-eid" : undefined);
  fillSelect(select, state.kit.profiles.map((p) => p.id), documentTitle, chosen);
}

// A check's name from the catalog; one it does not know is named by its advice, never by its id.
function checkName(check) {
  const key = `check.${check.id}`;
  const name = t(key);
  return name === key ? check.guidance || t("check.other") : name;
}

// -- messages to the operator -----------------------------------------------------------------

// The daemon's message, in the operator's language; its ErrorReason stays in the element's data for
// tests and support, never in the text a person reads.
// A device error: the console says what to do in its own words, naming the device as its screens do
// (the daemon's sentence is for other clients; the driver's own words stay in the metadata's `detail`
// for support). Other errors are the daemon's sentence in the operator's language.
const DEVICE_ERRORS = ["ERROR_REASON_DEVICE_GONE", "ERROR_REASON_DEVICE_BUSY", "ERROR_REASON_PROTOCOL_ERROR", "ERROR_REASON_DEVICE_FAULT"];

function errorText(error) {
  const metadata = error.metadata || {};
  if (DEVICE_ERRORS.includes(error.reason) && !metadata.message_id) {
    const key = `device.${metadata.device}`;
    const device = t(key) === key ? t("error.a_device") : t(key);
    return t(`error.${error.reason}`, { device });
  }
  return error.message || t("error.unknown");
}

function showError(error) {
  const box = $("error");
  box.textContent = errorText(error);
  box.dataset.reason = error.reason || "";
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function say(text) {
  $("status").textContent = text;
}

// Runs an operator action: errors from the daemon are shown as its message and reason.
async function act(button, work) {
  clearError();
  if (button) button.disabled = true;
  try {
    await work();
  } catch (error) {
    if (error instanceof DaemonError) showError(error);
    else showError({ message: String(error.message || error), reason: "" });
  } finally {
    if (button) button.disabled = false;
    // The step decides what stays disabled (a device away), not the end of the action.
    if (state.session && state.screen === "visit") renderSession();
  }
}

function showScreen(name, focus = true) {
  state.screen = name;
  for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
  if (name !== "visit") {
    preview.stop();
    placeFeedback($(`screen-${name}`));
    if (focus) showHeading(name, $(`${name}-heading`));
  }
}

// Status and errors go beside the action of what is on show, so they are seen without scrolling.
function placeFeedback(container) {
  const slot = container.querySelector(".feedback-slot");
  if (slot && $("feedback").parentElement !== slot) slot.append($("feedback"));
}

// The heading of a screen or step takes the focus when it comes on show (not on every refresh).
function showHeading(key, heading) {
  if (state.shown === key) return;
  state.shown = key;
  heading.focus();
}

// -- devices ------------------------------------------------------------------------------------

function watchDevices() {
  const socket = openSocket("/ws/devices");
  socket.onopen = () => ($("daemon-status").hidden = true);
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.event) {
      state.devices.set(data.event.device.id, data.event.device);
      renderDevices();
      refreshSession();
    } else if (data.error) {
      $("daemon-status").hidden = false;
    }
  };
  socket.onclose = () => {
    $("daemon-status").hidden = false;
    setTimeout(watchDevices, DEVICE_RETRY_MS);
  };
}

// A device that comes or goes pauses or resumes its steps: show the session as the daemon has it now.
let refreshing = false;
async function refreshSession() {
  if (refreshing || !state.session || state.screen !== "visit" || state.finger || state.signature) return;
  refreshing = true;
  try {
    const response = await call("GetSession", { session_id: state.session.session_id });
    if (state.session && response.session.session_id === state.session.session_id) setSession(response.session);
  } catch {
    // The next action reports what is wrong; a failed refresh changes nothing on the page.
  } finally {
    refreshing = false;
  }
}

function renderDevices() {
  const list = $("device-list");
  list.replaceChildren(
    ...[...state.devices.values()].map((device) => {
      const item = document.createElement("li");
      item.id = `device-${device.id}`;
      const name = document.createElement("span");
      name.className = "name";
      const key = `device.${device.id}`;
      name.textContent = `${t(key) === key ? device.id : t(key)}: `;
      const status = document.createElement("span");
      status.className = "state";
      status.dataset.state = device.state;
      status.textContent = t(`state.${device.state}`);
      item.append(name, status);
      // Why it is away, and what to do, from the catalog; the driver's own words stay in the API.
      if (device.cause && device.cause !== "DEVICE_REASON_UNSPECIFIED") {
        const cause = document.createElement("span");
        cause.className = "cause";
        cause.textContent = ` — ${t(`cause.${device.cause}`)}`;
        item.append(cause);
      }
      return item;
    }),
  );
}

// -- start --------------------------------------------------------------------------------------

async function showStart() {
  const active = await call("GetActiveSession");
  const open = active.session;
  $("active-visit").hidden = !open;
  if (open) {
    const started = open.created_at ? new Date(open.created_at).toLocaleTimeString(currentLanguage(), { hour: "2-digit", minute: "2-digit" }) : "";
    $("active-visit-text").textContent = t("start.open_visit", {
      document: documentTitle(open.document_profile),
      reference: open.application_reference || t("visit.no_reference"),
      time: started,
    });
    $("active-visit-steps").replaceChildren(
      ...open.steps.map((step) => {
        const item = document.createElement("li");
        item.dataset.state = step.state;
        item.textContent = `${step.title}: ${t(`step.${step.state}`)}`;
        return item;
      }),
    );
  }
  $("resume").onclick = () => act($("resume"), async () => enterVisit(open));
  // The operator id of this kit's last visit, so it is not typed again for every citizen.
  const operator = localStorage.getItem("kit-console-operator");
  if (operator && !$("operator").value) $("operator").value = operator;
  showScreen("start");
}

async function fileBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function startVisit(event) {
  event.preventDefault();
  const form = new FormData($("start-form"));
  const request = Object.fromEntries(form.entries());
  request.applicant_age = Number(request.applicant_age);
  await act($("start"), async () => {
    // A card delivery's reference download goes to the daemon as it is (bytes, base64 in JSON).
    const file = $("reference-file").files[0];
    if (file) request.delivery_reference = await fileBase64(file);
    const response = await call("CreateSession", request);
    localStorage.setItem("kit-console-operator", request.operator_id);
    if (response.session.operator_language) await setLanguage(response.session.operator_language);
    enterVisit(response.session);
  });
}

function enterVisit(session) {
  $("capture-list").replaceChildren();
  if (!state.session || state.session.session_id !== session.session_id) state.thumbs.clear();
  state.session = session;
  state.photo = null;
  state.retake = false;
  showScreen("visit");
  renderSession();
}

// -- the visit ----------------------------------------------------------------------------------

function currentStep() {
  const session = state.session;
  return session.steps.find((step) => step.step_id === session.next_step_id) || null;
}

// The attempts made for a step, as the daemon files them.
function attemptsOf(step) {
  return state.session.attempts.filter((a) => a.step_id === step.step_id);
}

function setSession(session) {
  state.session = session;
  if (session.state === "SESSION_STATE_FINALIZED" && session.receipt) showReceipt(session);
  else if (session.state !== "SESSION_STATE_ACTIVE") {
    say(session.end_reason || t(`session.${session.state}`));
    state.session = null;
    showStart();
  } else renderSession();
}

function renderSession() {
  const session = state.session;
  if (!session || state.screen !== "visit") return;
  $("visit-heading").textContent = t("visit.title", {
    document: documentTitle(session.document_profile),
    reference: session.application_reference || t("visit.no_reference"),
  });
  const step = currentStep();
  $("steps").replaceChildren(
    ...session.steps.map((s) => {
      const item = document.createElement("li");
      item.dataset.state = s.state;
      const title = document.createElement("span");
      title.textContent = s.title;
      const words = document.createElement("span");
      words.className = "step-state";
      words.textContent = t(`step.${s.state}`);
      item.append(title, words);
      if (step && s.step_id === step.step_id) item.setAttribute("aria-current", "step");
      return item;
    }),
  );
  // The photo just taken is shown for accept or retake before the visit moves on; a retake shows the
  // live picture again, whatever step is next.
  const faceStep = session.steps.find((s) => s.kind === "CAPTURE_KIND_FACE");
  const photoOnShow = Boolean(faceStep && (state.photo || state.retake));
  const current = photoOnShow ? faceStep : step;
  let screen = "finalize";
  if (current) {
    const attempts = attemptsOf(current);
    const last = attempts[attempts.length - 1];
    screen = KIND_PANELS[current.kind];
    // A delivery's fingerprint check is never overridden: its fallback is the visual check.
    const verifying = Boolean(session.delivery_verification) && current.kind === "CAPTURE_KIND_FINGER";
    const open = !verifying && (current.state === "STEP_STATE_EXHAUSTED" || (last && !last.accepted));
    showOverride(open && !state.retake ? last : null);
    if (screen === "face") renderFace(current);
    if (screen === "finger") renderFinger(current, attempts);
    if (screen === "signature") renderSignature(current);
  } else showOverride(null);
  // A step whose device is away waits: its action is disabled and the step says why, in place.
  const paused = Boolean(current && current.state === "STEP_STATE_PAUSED");
  $("paused").hidden = !paused;
  $("paused").textContent = paused ? t(`paused.${current.kind}`) : "";
  for (const name of STEP_PANELS) $(`step-${name}`).hidden = name !== screen;
  const shown = $(`step-${screen}`);
  placeFeedback(shown);
  // The override is offered beside the action of the step it is for.
  const slot = shown.querySelector(".override-slot");
  if (slot && $("step-override").parentElement !== slot) slot.append($("step-override"));
  if (screen === "finger") $("finger-heading").textContent = current.title;
  renderEligibility(session.eligibility);
  if (screen === "finalize") renderReview(session);
  if (screen === "face" && !state.photo) preview.start(session.session_id);
  else preview.stop();
  const view = state.photo ? "photo" : current ? current.step_id : "finalize";
  showHeading(`visit:${session.session_id}:${view}`, $(`${screen}-heading`));
}

// -- a home visit's eligibility -----------------------------------------------------------------

function renderEligibility(eligibility) {
  const required = Boolean(eligibility && eligibility.required);
  $("eligibility").hidden = !required;
  $("eligibility-summary").hidden = !required;
  if (!required) return;
  const missing = (eligibility.missing || []).map((m) => t(`evidence.${m.replace("ELIGIBILITY_EVIDENCE_", "")}`));
  const overridden = Boolean(eligibility.override && eligibility.override.reason);
  $("eligibility-status").textContent = overridden
    ? t("eligibility.overridden")
    : missing.length
      ? t("eligibility.missing", { evidence: missing.join(", ") })
      : t("eligibility.complete");
  $("eligibility-summary").textContent = `${t("eligibility.title")}: ${$("eligibility-status").textContent}`;
  $("certificate-photo").hidden = !eligibility.certificate_photo_required;
  $("eligibility-override").hidden = !missing.length || overridden;
}

async function recordEligibility(event) {
  event.preventDefault();
  const form = new FormData($("eligibility-form"));
  const shown = form.get("certificate_shown") === "on";
  await act(event.submitter, async () => {
    const response = await call("RecordEligibility", {
      session_id: state.session.session_id,
      request_reference: form.get("request_reference"),
      filed_by: `REQUEST_FILER_${form.get("filed_by")}`,
      organisation: form.get("organisation"),
      certificate_shown: shown,
      certificate_date: shown ? form.get("certificate_date") : "",
      place: `VISIT_PLACE_${form.get("place")}`,
      facility: form.get("facility"),
    });
    setSession(response.session);
  });
}

async function captureCertificatePhoto(event) {
  await act(event.currentTarget, async () => {
    const response = await call("CaptureCertificatePhoto", { session_id: state.session.session_id });
    addCapture(t("eligibility.photo_caption"), response.photo);
    const advice = response.checks.filter((c) => !c.passed).map((c) => c.guidance);
    say(response.accepted ? t("eligibility.photo_taken") : advice.join(" "));
    setSession(response.session);
  });
}

async function overrideEligibility(event) {
  event.preventDefault();
  const reason = new FormData($("eligibility-override-form")).get("reason");
  await act(event.submitter, async () => {
    const response = await call("OverrideEligibility", { session_id: state.session.session_id, reason });
    $("eligibility-override-form").reset();
    setSession(response.session);
  });
}

function showOverride(attempt) {
  const panel = $("step-override");
  panel.hidden = !attempt;
  if (!attempt) return;
  panel.dataset.attemptId = attempt.attempt_id;
  const failed = attempt.checks.filter((c) => !c.passed).map(checkName);
  $("override-explain").textContent = t("override.explain", { checks: failed.join(", ") || "—" });
}

// The page keeps the pictures it was sent (never on disk) for the review: the latest per step.
function addCapture(label, image, stepId = "") {
  if (stepId) state.thumbs.set(stepId, image);
  const figure = document.createElement("figure");
  const img = document.createElement("img");
  img.src = `data:${image.format === "IMAGE_FORMAT_PNG" ? "image/png" : "image/jpeg"};base64,${image.data}`;
  img.alt = label;
  const caption = document.createElement("figcaption");
  caption.textContent = label;
  figure.append(img, caption);
  $("capture-list").append(figure);
}

// -- photo --------------------------------------------------------------------------------------

function renderFace(step) {
  const review = state.photo;
  $("step-face").classList.toggle("reviewing", Boolean(review));
  $("face-canvas").hidden = Boolean(review);
  $("face-photo").hidden = !review;
  $("face-live").hidden = Boolean(review);
  $("face-checks-live").hidden = Boolean(review);
  $("face-review").hidden = !review;
  const paused = step.state === "STEP_STATE_PAUSED";
  $("face-capture").disabled = paused;
  $("face-capture-now").disabled = paused;
  $("face-frames").textContent = t("face.frames", { n: preview.frames });
  if (!review) return;
  const { attempt, image, timedOut } = review;
  const figure = $("face-photo");
  figure.className = attempt.accepted ? "photo accepted" : "photo rejected";
  const img = $("face-photo-image");
  img.src = `data:image/jpeg;base64,${image.data}`;
  img.alt = t("face.photo_alt");
  $("face-photo-caption").textContent = t(attempt.accepted ? "face.accepted" : "face.rejected", { n: attempt.number });
  const failed = attempt.checks.filter((c) => !c.passed);
  $("face-verdict").textContent = attempt.accepted
    ? t("face.verdict_accepted")
    : timedOut
      ? t("face.timeout", { s: FACE_TIMEOUT_MS / 1000 })
      : t("face.verdict_rejected");
  $("face-why").replaceChildren(
    ...failed.map(failedCheckItem),
  );
  // A rejected photo goes on only with a reason (the override beside it); an accepted one is accepted.
  $("photo-accept").hidden = !attempt.accepted;
  $("photo-retake").disabled = paused || step.attempts_used >= step.max_attempts;
}

// A failed check by name with its advice, in the text (touch has no hover).
function failedCheckItem(check) {
  const item = document.createElement("li");
  item.className = "check-failed";
  item.dataset.check = check.id;
  const name = document.createElement("span");
  name.className = "check-name";
  name.textContent = `${checkName(check)}: `;
  item.append(name, check.guidance || t("check.failed"));
  return item;
}

function showPreviewFrame(meta, frames) {
  const frameCounter = $("face-frames");
  frameCounter.dataset.count = String(frames);
  frameCounter.textContent = t("face.frames", { n: frames });
  const guidance = $("face-guidance");
  const text = meta.ready ? t("face.ready") : meta.guidance[0] || "";
  if (guidance.textContent !== text) guidance.textContent = text;
  guidance.classList.toggle("ready", meta.ready);
  // The list changes only when a verdict does, so a screen reader is not flooded at 30 fps.
  const signature = meta.checks.map((c) => `${c.id}:${c.passed}`).join(",");
  const list = $("face-checks");
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  const failed = meta.checks.filter((c) => !c.passed);
  $("face-summary").textContent = t("face.checks_passed", { n: meta.checks.length - failed.length, total: meta.checks.length });
  list.replaceChildren(
    ...failed.map(failedCheckItem),
  );
}

async function captureFace(button, mode) {
  await act(button, async () => {
    const auto = mode === "FACE_CAPTURE_MODE_AUTO";
    say(auto ? t("face.looking", { s: FACE_TIMEOUT_MS / 1000 }) : t("face.capturing"));
    const response = await call("CaptureFace", { session_id: state.session.session_id, mode, timeout_ms: FACE_TIMEOUT_MS });
    const attempt = response.attempt;
    say("");
    if (response.photo && response.photo.data) {
      // An auto capture that found nothing compliant in time returns the best picture it saw.
      state.photo = { attempt, image: response.photo, timedOut: auto && !attempt.accepted };
      tellCitizen({ photo: response.photo.data });
      state.retake = false;
      if (attempt.accepted) addCapture(t("captures.photo"), response.photo, attempt.step_id);
    }
    setSession(response.session);
  });
}

function acceptPhoto() {
  state.photo = null;
  tellCitizen({ photo: null });
  state.retake = false;
  say("");
  renderSession();
}

function retakePhoto() {
  state.photo = null;
  tellCitizen({ photo: null });
  state.retake = true;
  say("");
  renderSession();
}

// -- fingers ------------------------------------------------------------------------------------

// The ten fingers as drawn, hand by hand from the operator's left: backs of the hands up, as they lie
// on the glass. Layout only: which step a finger serves comes from the daemon (Attempt.step_id).
const HANDS = [
  ["LEFT", ["LEFT_LITTLE", "LEFT_RING", "LEFT_MIDDLE", "LEFT_INDEX", "LEFT_THUMB"]],
  ["RIGHT", ["RIGHT_THUMB", "RIGHT_INDEX", "RIGHT_MIDDLE", "RIGHT_RING", "RIGHT_LITTLE"]],
];

function buildHands() {
  $("hands").replaceChildren(
    ...HANDS.map(([hand, fingers]) => {
      const figure = document.createElement("figure");
      figure.className = "hand";
      figure.dataset.hand = hand;
      const palm = document.createElement("div");
      palm.className = "palm";
      figure.append(palm);
      fingers.forEach((finger, index) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "finger";
        button.id = `hand-${finger}`;
        button.dataset.finger = `FINGER_POSITION_${finger}`;
        button.dataset.slot = String(index);
        button.onclick = () => openException(button.dataset.finger);
        const label = document.createElement("span");
        label.className = "visually-hidden";
        button.append(label);
        figure.append(button);
      });
      const caption = document.createElement("figcaption");
      caption.dataset.i18n = `hands.${hand}`;
      caption.textContent = t(`hands.${hand}`);
      figure.append(caption);
      return figure;
    }),
  );
}

// Each finger's state on the diagram: asked now, done, excepted, or nothing yet.
function renderHands(step) {
  const session = state.session;
  const excepted = new Set((session.finger_exceptions || []).map((e) => e.finger));
  const done = new Set(session.attempts.filter((a) => a.kept && a.accepted && a.finger).map((a) => a.finger));
  for (const button of $("hands").querySelectorAll(".finger")) {
    const finger = button.dataset.finger;
    const fingerState = excepted.has(finger) ? "excepted" : done.has(finger) ? "done" : step && step.finger === finger ? "asked" : "none";
    button.dataset.state = fingerState;
    button.setAttribute("aria-pressed", String(state.exceptionFinger === finger));
    button.firstChild.textContent = `${fingerName(finger)}: ${t(`hands.state.${fingerState}`)}`;
    button.disabled = Boolean(state.finger);
  }
}

function renderFinger(step, attempts) {
  const asked = step.finger && step.finger !== "FINGER_POSITION_UNSPECIFIED";
  $("finger-place").hidden = !asked;
  $("finger-place").textContent = asked ? t("finger.place", { finger: fingerName(step.finger) }) : "";
  $("exception-hint").hidden = Boolean(state.session.delivery_verification) || Boolean(state.exceptionFinger);
  $("finger-progress").textContent = t("finger.attempt", { n: step.attempts_used, max: step.max_attempts });
  const button = $("finger-capture");
  button.textContent = t(step.attempts_used > 0 ? "finger.retry" : "finger.capture");
  button.disabled = Boolean(state.finger) || ["STEP_STATE_PAUSED", "STEP_STATE_EXHAUSTED"].includes(step.state);
  renderHands(step);
  renderDelivery(step);
  $("finger-quality-min").style.left = `${step.min_quality}%`;
  // The attempts on the finger asked now: what to do differently on the next one.
  $("finger-attempts").replaceChildren(
    ...attempts.filter((a) => a.finger === step.finger).map((attempt) => {
      const item = document.createElement("li");
      item.className = attempt.accepted ? "accepted" : "rejected";
      const verdict = t(attempt.accepted ? "finger.accepted" : "finger.rejected");
      const advice = attempt.checks.filter((c) => !c.passed && c.guidance).map((c) => c.guidance);
      const feedback = advice.length ? ` — ${advice.join(" ")}` : "";
      item.textContent = `${fingerName(attempt.finger)} #${attempt.number}: ${verdict}${feedback}`;
      return item;
    }),
  );
}

// A card delivery: the 1:1 result in words, and the visual check the policy allows when no print matched.
function renderDelivery(step) {
  const verification = state.session.delivery_verification;
  const result = $("delivery-result");
  result.hidden = !verification;
  const exhausted = step.state === "STEP_STATE_EXHAUSTED";
  const visual = Boolean(verification && exhausted && verification.visual_check_available);
  const opening = visual && $("visual-check").hidden;
  $("visual-check").hidden = !visual;
  if (opening) $("visual-check-heading").focus();
  // Every attempt used: the photo check takes the capture's place.
  $("finger-capture").parentElement.hidden = visual;
  $("finger-progress").hidden = visual;
  if (!verification) return;
  const used = verification.attempts_used || 0;
  if (verification.matched) result.textContent = t("delivery.matched", { finger: fingerName(verification.matched_finger) });
  else if (!used) result.textContent = t("delivery.asked", { finger: fingerName(step.finger) });
  else if (visual) result.textContent = "";
  else result.textContent = t("delivery.no_match", { finger: fingerName(step.finger), n: used });
  result.classList.toggle("ready", Boolean(verification.matched));
  // The photo check says itself why it is offered.
  result.hidden = visual;
  if (visual && !$("enrollment-photo").src) loadEnrollmentPhoto();
}

async function loadEnrollmentPhoto() {
  await act(null, async () => {
    const response = await call("GetEnrollmentPhoto", { session_id: state.session.session_id });
    $("enrollment-photo").src = `data:image/jpeg;base64,${response.jpeg}`;
    $("enrollment-photo").alt = t("delivery.enrollment_photo");
  });
}

async function checkVisually(confirmed, button) {
  const reason = $("visual-check-reason").value.trim();
  if (!reason) {
    showError({ message: t("finger.exception_reason_first") });
    return;
  }
  await act(button, async () => {
    const response = await call("CheckIdentityVisually", { session_id: state.session.session_id, confirmed, reason });
    $("visual-check-form").reset();
    $("enrollment-photo").removeAttribute("src");
    setSession(response.session);
  });
}

// The live print and its quality against the policy's minimum, in words.
function showLivePrint(preview, step) {
  const image = preview.image;
  if (image && image.gray) {
    const canvas = $("finger-print");
    const bytes = Uint8Array.from(atob(image.gray), (c) => c.charCodeAt(0));
    if (canvas.width !== image.width || canvas.height !== image.height) {
      canvas.width = image.width;
      canvas.height = image.height;
    }
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(image.width, image.height);
    for (let i = 0; i < bytes.length; i += 1) {
      pixels.data.set([bytes[i], bytes[i], bytes[i], 255], i * 4);
    }
    context.putImageData(pixels, 0, 0);
  }
  state.livePrints += 1;
  const quality = preview.live_quality || 0;
  const enough = preview.finger_present && quality >= step.min_quality;
  const fill = $("finger-quality-fill");
  fill.style.width = `${Math.min(100, quality)}%`;
  fill.classList.toggle("enough", enough);
  let words = t("finger.live_none");
  if (preview.finger_present) {
    const advice = (preview.feedback || []).map((code) => t(`live.${code}`)).filter((text) => !text.startsWith("live."));
    words = enough ? t("finger.live_enough") : advice[0] || t("finger.live_more");
  }
  const live = $("finger-live");
  if (live.textContent !== words) live.textContent = words;
}

function captureFinger() {
  clearError();
  closeException();
  const step = currentStep();
  const button = $("finger-capture");
  button.disabled = true;
  const socket = openSocket(`/ws/sessions/${state.session.session_id}/finger?finger=${step.finger}`);
  state.finger = socket;
  renderHands(step);
  let session = null;
  let verdict = "";
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.waiting) say(data.waiting.instruction);
    else if (data.preview) showLivePrint(data.preview, step);
    else if (data.captured) {
      const attempt = data.captured.attempt;
      verdict = `${fingerName(attempt.finger)}: ${t(attempt.accepted ? "finger.accepted" : "finger.rejected")}`;
      // A delivery's 1:1 result, said where the operator looks next (the next step may be the photo).
      const verification = data.captured.session.delivery_verification;
      if (verification && verification.matched) verdict = t("delivery.matched", { finger: fingerName(verification.matched_finger) });
      say(verdict);
      if (attempt.accepted && data.captured.image.data) addCapture(fingerName(attempt.finger), data.captured.image, attempt.step_id);
      session = data.captured.session;
    } else if (data.lift) say(data.lift.instruction);
    else if (data.error) showError(data.error);
  };
  socket.onclose = () => {
    state.finger = null;
    // The finger is off the glass: the lift instruction gives way to the verdict.
    if (verdict) say(verdict);
    $("finger-live").textContent = "";
    $("finger-quality-fill").style.width = "0";
    if (session) setSession(session);
    else renderSession();
  };
}

function openException(finger) {
  state.exceptionFinger = finger;
  $("exception-form").reset();
  $("exception-kind").value = "";
  $("exception-heading").textContent = t("finger.exception_for", { finger: fingerName(finger) });
  $("exception-panel").hidden = false;
  $("exception-hint").hidden = true;
  renderHands(currentStep());
  $("exception-heading").focus();
}

function closeException() {
  state.exceptionFinger = null;
  $("exception-panel").hidden = true;
  $("exception-hint").hidden = false;
}

async function recordException(event) {
  event.preventDefault();
  const form = new FormData($("exception-form"));
  // The page's own check, so the refusal is in the operator's language (not the browser's).
  if (!form.get("kind") || !String(form.get("reason")).trim()) {
    showError({ message: t(form.get("kind") ? "finger.exception_reason_first" : "finger.exception_choose_first") });
    return;
  }
  await act(event.submitter, async () => {
    const response = await call("RecordFingerException", {
      session_id: state.session.session_id,
      finger: state.exceptionFinger,
      kind: `FINGER_EXCEPTION_KIND_${form.get("kind")}`,
      reason: form.get("reason"),
    });
    $("exception-form").reset();
    closeException();
    setSession(response.session);
  });
}

// -- signature ----------------------------------------------------------------------------------

function renderSignature(step) {
  const capturing = Boolean(state.signature);
  $("signature-start").disabled = capturing || (step && step.state === "STEP_STATE_PAUSED");
  $("signature-clear").disabled = !capturing;
  $("signature-samples").textContent = t("signature.samples", { n: pen.samples });
}

function captureSignature() {
  clearError();
  pen.clear();
  const socket = openSocket(`/ws/sessions/${state.session.session_id}/signature`);
  state.signature = socket;
  renderSignature();
  let session = null;
  socket.onopen = () => say(t("signature.waiting"));
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.samples) {
      pen.add(data.samples);
      const counter = $("signature-samples");
      counter.dataset.count = String(pen.samples);
      counter.textContent = t("signature.samples", { n: pen.samples });
    } else if (data.cleared) pen.clear();
    else if (data.result) {
      const attempt = data.result.attempt;
      say(t(attempt.accepted ? "signature.accepted" : "signature.rejected"));
      if (data.result.image.data) addCapture(t("captures.signature"), data.result.image, attempt.step_id);
      session = data.result.session;
    } else if (data.error) showError(data.error);
  };
  socket.onclose = () => {
    state.signature = null;
    if (session) setSession(session);
    else renderSession();
  };
}

async function waive(event) {
  event.preventDefault();
  const form = new FormData($("waiver-form"));
  await act(event.submitter, async () => {
    const response = await call("WaiveSignature", {
      session_id: state.session.session_id,
      reason: `SIGNATURE_WAIVER_REASON_${form.get("reason")}`,
      note: form.get("note"),
    });
    $("waiver-form").reset();
    $("signature-waiver").open = false;
    setSession(response.session);
  });
}

// -- override, finalize, cancel -----------------------------------------------------------------

async function override(event) {
  event.preventDefault();
  const reason = new FormData($("override-form")).get("reason");
  await act(event.submitter, async () => {
    const response = await call("OverrideAttempt", {
      session_id: state.session.session_id,
      attempt_id: $("step-override").dataset.attemptId,
      reason,
    });
    $("override-form").reset();
    say("");
    // The photo on show was the one overridden: it is accepted now, and the visit moves on.
    if (state.photo && state.photo.attempt.attempt_id === response.attempt.attempt_id) {
      addCapture(t("captures.photo"), state.photo.image, response.attempt.step_id);
      state.photo = null;
      tellCitizen({ photo: null });
    }
    setSession(response.session);
  });
}

async function finalize() {
  await act($("finalize"), async () => {
    say(t("finalize.sealing"));
    const response = await call("FinalizeSession", { session_id: state.session.session_id });
    setSession(response.session);
  });
}

async function cancelVisit() {
  if (!window.confirm(t("visit.cancel_confirm"))) return;
  await act($("cancel"), async () => {
    await call("CancelSession", { session_id: state.session.session_id, reason: t("visit.cancel_reason") });
    state.session = null;
    say(t("visit.cancelled"));
    await showStart();
  });
}

// -- review before sealing ------------------------------------------------------------------------

function imageSource(image) {
  return `data:${image.format === "IMAGE_FORMAT_PNG" ? "image/png" : "image/jpeg"};base64,${image.data}`;
}

function fingerName(position) {
  return t(`finger.${position}`);
}

function stepTitleOf(stepId) {
  const step = state.session.steps.find((s) => s.step_id === stepId);
  return step ? step.title : "";
}

// Every step with its verdict, and every decision taken with its reason: what the package will say.
function renderReview(session) {
  $("review-steps").replaceChildren(
    ...session.steps.map((step) => {
      const item = document.createElement("li");
      item.dataset.step = step.step_id;
      item.dataset.state = step.state;
      const thumb = state.thumbs.get(step.step_id);
      if (thumb) {
        const img = document.createElement("img");
        img.src = imageSource(thumb);
        img.alt = step.title;
        item.append(img);
      }
      const title = document.createElement("strong");
      title.textContent = `${step.title}: `;
      const kept = session.attempts.find((a) => a.step_id === step.step_id && a.kept);
      let verdict = t(`step.${step.state}`);
      if (kept && kept.override && kept.override.reason) verdict = t("review.overridden", { n: kept.number });
      else if (kept && kept.accepted) verdict = t("review.accepted", { n: kept.number });
      item.append(title, verdict);
      return item;
    }),
  );
  const decisions = [];
  const decision = (kind, text, reason) => {
    const item = document.createElement("li");
    item.dataset.decision = kind;
    const what = document.createElement("strong");
    what.textContent = `${text}: `;
    item.append(what, t("review.reason", { reason: reason || "—" }));
    decisions.push(item);
  };
  for (const e of session.finger_exceptions || []) {
    decision("exception", `${fingerName(e.finger)} — ${t(`exception.${e.kind.replace("FINGER_EXCEPTION_KIND_", "")}`)}`, e.reason);
  }
  for (const a of session.attempts) {
    if (a.override && a.override.reason) {
      decision("override", t("review.override", { step: stepTitleOf(a.step_id), n: a.number }), a.override.reason);
    }
  }
  const waiver = session.signature_waiver;
  if (waiver && waiver.reason && waiver.reason !== "SIGNATURE_WAIVER_REASON_UNSPECIFIED") {
    decision("waiver", `${t("signature.waiver")} — ${t(`waiver.${waiver.reason.replace("SIGNATURE_WAIVER_REASON_", "")}`)}`, waiver.note);
  }
  const eligibility = session.eligibility;
  if (eligibility && eligibility.override && eligibility.override.reason) {
    decision("eligibility", t("eligibility.override"), eligibility.override.reason);
  }
  if (!decisions.length) {
    decisions.push(Object.assign(document.createElement("li"), { textContent: t("review.no_decisions") }));
  }
  $("review-decisions").replaceChildren(...decisions);
  $("finalize").disabled = !$("review-confirm").checked;
}

// -- the receipt and the package's journey ---------------------------------------------------------

const JOURNEY_POLL_MS = 2000;
const RECEIPTS_KEPT = 20;
const ALL_PACKAGE_STATES = ["PACKAGE_STATE_SEALED", "PACKAGE_STATE_UPLOADING", "PACKAGE_STATE_ACKNOWLEDGED", "PACKAGE_STATE_DELETED"];
// Where a package is on its way: sealed, sent (being uploaded), received (acknowledged, or removed
// from the kit after that).
const JOURNEY_STEP = {
  PACKAGE_STATE_SEALED: 0,
  PACKAGE_STATE_UPLOADING: 1,
  PACKAGE_STATE_ACKNOWLEDGED: 2,
  PACKAGE_STATE_DELETED: 2,
};

// The receipts of this kit's last visits, without biometrics: what the operator may need to show later.
function storedReceipts() {
  try {
    return JSON.parse(localStorage.getItem("kit-console-receipts") || "[]");
  } catch {
    return [];
  }
}

function storeReceipt(entry) {
  const receipts = storedReceipts().filter((r) => r.package_id !== entry.package_id);
  receipts.unshift(entry);
  localStorage.setItem("kit-console-receipts", JSON.stringify(receipts.slice(0, RECEIPTS_KEPT)));
}

function showReceipt(session) {
  const receipt = session.receipt;
  const entry = {
    package_id: receipt.package_id,
    reference: session.application_reference || "",
    document: session.document_profile,
    validity: session.card_validity_months || 0,
    state: "PACKAGE_STATE_SEALED",
  };
  storeReceipt(entry);
  $("receipt-reference").textContent = entry.reference || t("visit.no_reference");
  $("receipt-document").textContent = documentTitle(entry.document);
  $("receipt-package").textContent = receipt.package_id;
  $("receipt-summary").href = `/summary/${encodeURIComponent(session.session_id)}`;
  $("receipt-validity").textContent = session.card_validity_months
    ? t("receipt.months", { n: session.card_validity_months })
    : t("receipt.standard");
  state.session = null;
  say("");
  showJourney(entry.state);
  showScreen("receipt");
  followJourney(receipt.package_id);
}

function showJourney(packageState) {
  const reached = JOURNEY_STEP[packageState] ?? 0;
  ["sealed", "sent", "received"].forEach((name, index) => {
    const item = $(`journey-${name}`);
    item.dataset.reached = String(index <= reached);
    if (index === reached) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
  });
}

// Follows the package until the back office has it; the receipt stays on show after that.
async function followJourney(packageId) {
  state.journey = packageId;
  while (state.journey === packageId && state.screen === "receipt") {
    try {
      const list = await call("ListPackages", { states: ALL_PACKAGE_STATES });
      const info = list.packages.find((p) => p.package_id === packageId);
      if (info) {
        showJourney(info.state);
        const stored = storedReceipts().find((r) => r.package_id === packageId);
        if (stored) storeReceipt({ ...stored, state: info.state });
        if (JOURNEY_STEP[info.state] === 2) return;
      }
    } catch {
      // The next round tries again; the receipt itself is already on show.
    }
    await new Promise((resolve) => setTimeout(resolve, JOURNEY_POLL_MS));
  }
}

// -- outbox -------------------------------------------------------------------------------------

async function showOutbox() {
  await act($("outbox-refresh"), async () => {
    // Every state: a package the back office received stays listed after the kit removed it.
    const [status, list] = await Promise.all([call("GetOutboxStatus"), call("ListPackages", { states: ALL_PACKAGE_STATES })]);
    const item = (text) => Object.assign(document.createElement("li"), { textContent: text });
    $("outbox-status").replaceChildren(
      item(t("outbox.pending", { n: status.pending })),
      item(t("outbox.acknowledged", { n: status.acknowledged })),
      item(t("outbox.free", { n: Math.floor(Number(status.free_bytes) / 1e6) })),
      ...(status.last_error ? [item(status.last_error)] : []),
    );
    $("outbox-packages").replaceChildren(
      ...list.packages.map((p) => {
        const row = document.createElement("tr");
        for (const text of [p.package_id, t(`outbox.${p.state}`), p.sealed_at || "", p.size_bytes, p.upload_attempts, p.last_error]) {
          const cell = document.createElement("td");
          cell.textContent = String(text);
          row.append(cell);
        }
        return row;
      }),
    );
    if (!list.packages.length) {
      const row = document.createElement("tr");
      const cell = Object.assign(document.createElement("td"), { colSpan: 6, textContent: t("outbox.empty") });
      row.append(cell);
      $("outbox-packages").append(row);
    }
  });
  showScreen("outbox");
}

async function flushOutbox() {
  await act($("outbox-flush"), async () => {
    await call("FlushOutbox");
  });
  await showOutbox();
}

// -- wiring -------------------------------------------------------------------------------------

async function main() {
  const wanted = new URLSearchParams(location.search).get("lang") || localStorage.getItem("kit-console-language") || navigator.language;
  await loadTexts(wanted);
  applyTexts(document);
  buildHands();
  $("ui-language").onchange = (e) => setLanguage(e.target.value);
  $("start-form").onsubmit = startVisit;
  $("face-capture").onclick = (e) => captureFace(e.currentTarget, "FACE_CAPTURE_MODE_AUTO");
  $("face-capture-now").onclick = (e) => captureFace(e.currentTarget, "FACE_CAPTURE_MODE_NOW");
  $("photo-accept").onclick = acceptPhoto;
  $("review-confirm").onchange = () => ($("finalize").disabled = !$("review-confirm").checked);
  $("photo-retake").onclick = retakePhoto;
  $("finger-capture").onclick = captureFinger;
  $("exception-form").onsubmit = recordException;
  $("visual-check-form").onsubmit = (e) => {
    e.preventDefault();
    checkVisually(true, $("visual-same"));
  };
  $("visual-different").onclick = (e) => checkVisually(false, e.currentTarget);
  $("exception-cancel").onclick = () => {
    closeException();
    renderSession();
  };
  $("signature-start").onclick = captureSignature;
  $("signature-clear").onclick = () => state.signature && state.signature.send(JSON.stringify({ command: "clear" }));
  $("waiver-form").onsubmit = waive;
  $("override-form").onsubmit = override;
  $("finalize").onclick = finalize;
  $("eligibility-form").onsubmit = recordEligibility;
  $("certificate-photo").onclick = captureCertificatePhoto;
  $("eligibility-override-form").onsubmit = overrideEligibility;
  $("cancel").onclick = cancelVisit;
  $("new-visit").onclick = () => act($("new-visit"), showStart);
  $("nav-outbox").onclick = showOutbox;
  $("outbox-refresh").onclick = showOutbox;
  $("outbox-flush").onclick = flushOutbox;
  $("nav-visit").onclick = () => act($("nav-visit"), async () => (state.session ? enterVisit(state.session) : showStart()));
  watchDevices();
  await act(null, async () => {
    state.kit = await call("GetKitInfo");
  });
  await setLanguage(currentLanguage());
  await act(null, showStart);
  document.body.dataset.ready = "true";
}

main();
