import { createRoot } from "react-dom/client";
import { adoptTokenFromUrl } from "./api/token.js";
import { App } from "./app.js";
import "./styles.css";

adoptTokenFromUrl();
// A #token= link opened in a tab that already shows the dashboard changes only the hash.
window.addEventListener("hashchange", adoptTokenFromUrl);
createRoot(document.getElementById("root")!).render(<App />);
