// Entry point: asks for the token once, then shows the view the URL's hash names:
//   #/meetings            meeting list          #/meetings/<id>   one meeting's rooms
//   #/legs                live call legs        #/legs/<id>       one leg's detail

import { token, setUnauthorizedHandler, toast } from "./api.js";
import { hostView } from "./host.js";
import { opsView } from "./ops.js";

const view = document.getElementById("view");
const login = document.getElementById("login");
let current = null; // the shown view's cleanup function

function route() {
  current?.();
  current = null;
  view.replaceChildren();
  if (!token.get()) {
    login.hidden = false;
    document.getElementById("token").focus();
    return;
  }
  login.hidden = true;
  const [section, id] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  document.getElementById("nav-host").classList.toggle("active", section !== "legs");
  document.getElementById("nav-ops").classList.toggle("active", section === "legs");
  current = section === "legs" ? opsView(view, id) : hostView(view, id);
}

login.addEventListener("submit", (e) => {
  e.preventDefault();
  token.set(document.getElementById("token").value.trim());
  route();
});

document.getElementById("sign-out").addEventListener("click", () => {
  token.clear();
  route();
});

setUnauthorizedHandler(() => {
  token.clear();
  toast("roomgate refused the token; please enter it again", "error");
  route();
});

window.addEventListener("hashchange", route);
route();
