// The login page: the secret kit-console printed, exchanged for the session cookie (HttpOnly, so this
// script never sees the cookie), then on to the console.
import { loadTexts } from "./i18n.js";

const params = new URLSearchParams(location.search);
await loadTexts(params.get("lang") || localStorage.getItem("kit-console-language") || navigator.language);
const refused = document.getElementById("login-refused");
refused.hidden = !params.has("refused");
document.getElementById("login-heading").focus();

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ secret: document.getElementById("login-secret").value }),
  });
  if (response.ok) {
    location.assign("/");
  } else {
    refused.hidden = false;
  }
});
document.body.dataset.ready = "true";
