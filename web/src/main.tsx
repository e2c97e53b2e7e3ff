import "@picocss/pico/css/pico.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, apiBase, can, org, setSession, setUnauthorizedHandler, tenant, type Folder, type Page, type Permission, type Session } from "./api.js";
import { onLiveStatus, startLive, stopLive } from "./live.js";
import { useRoute } from "./router.js";
import { Ctx } from "./session.js";
import { ErrorBox, Loading } from "./ui.js";
import { Login } from "./pages/Login.js";
import { Jobs } from "./pages/Jobs.js";
import { JobDetail } from "./pages/JobDetail.js";
import { StartJob } from "./pages/StartJob.js";
import { Triggers } from "./pages/Triggers.js";
import { TriggerDetail } from "./pages/TriggerDetail.js";
import { TimeTriggers } from "./pages/TimeTriggers.js";
import { TimeTriggerDetail } from "./pages/TimeTriggerDetail.js";
import { Processes } from "./pages/Processes.js";
import { Robots } from "./pages/Robots.js";
import { Folders } from "./pages/Folders.js";
import { Users } from "./pages/Users.js";
import { Tokens } from "./pages/Tokens.js";
import { ExternalApps } from "./pages/ExternalApps.js";
import { Webhooks } from "./pages/Webhooks.js";
import { Settings } from "./pages/Settings.js";
import { Audit } from "./pages/Audit.js";
import { Account } from "./pages/Account.js";

/** how long live updates may be down (a reconnect, a page load) before the banner says so */
const OFFLINE_BANNER_AFTER_MS = 3000;

const NAV: { path: string; label: string; permission?: Permission }[] = [
  { path: "jobs", label: "Jobs", permission: "Jobs.View" },
  { path: "triggers", label: "Triggers", permission: "Triggers.View" },
  { path: "time-triggers", label: "Time triggers", permission: "Triggers.View" },
  { path: "processes", label: "Processes", permission: "Processes.View" },
  { path: "robots", label: "Robots", permission: "Robots.View" },
  { path: "folders", label: "Folders", permission: "Folders.View" },
  { path: "users", label: "Users & roles", permission: "Users.View" },
  { path: "tokens", label: "Tokens" },
  { path: "external-apps", label: "External apps" },
  { path: "webhooks", label: "Webhooks", permission: "Settings.View" },
  { path: "settings", label: "Settings", permission: "Settings.View" },
  { path: "audit", label: "Audit", permission: "Audit.View" },
  { path: "account", label: "Your account" },
];

function App() {
  const [session, setSessionState] = useState<Session | null | undefined>(undefined);
  const [bootError, setBootError] = useState<unknown>(null);
  const signedIn = (s: Session | null) => {
    setSession(s);
    setSessionState(s);
    // the events stream is for those who may see jobs
    if (s && can(s, "Jobs.View")) startLive(checkSession); else stopLive();
  };
  // the events stream was refused: a lost session goes back to the login page
  const checkSession = () => {
    api<Session>("/session").catch((err: unknown) => { if (err instanceof ApiError && err.status === 401) signedIn(null); });
  };
  const probe = () => {
    setBootError(null);
    api<Session>("/session").then(signedIn, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) signedIn(null);
      else setBootError(err);
    });
  };
  useEffect(() => {
    setUnauthorizedHandler(() => signedIn(null));
    probe();
  }, []);
  if (bootError) return <main class="container"><ErrorBox error={bootError} onRetry={probe} /></main>;
  if (session === undefined) return <main class="container"><Loading /></main>;
  if (session === null) return <Login onLogin={signedIn} />;
  return <Shell session={session} onLogout={() => signedIn(null)} />;
}

function Shell({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const route = useRoute();
  // the menu is open for the route it was opened on: following a link closes it in the same
  // render that shows the new page (an effect after the render left it open for a frame, and
  // in Chromium 156 for good when the effect ran before the hash change was seen)
  const pathKey = route.path.join("/");
  const [navOpenOn, setNavOpenOn] = useState<string | null>(null);
  const navOpen = navOpenOn === pathKey;
  const setNavOpen = (open: boolean) => setNavOpenOn(open ? pathKey : null);
  const [folders, setFolders] = useState<Folder[] | null>(null);
  const [live, setLive] = useState(false);
  const reloadFolders = () => { api<Page<Folder>>("/folders").then((p) => setFolders(p.items), () => setFolders([])); };
  useEffect(reloadFolders, []);
  useEffect(() => onLiveStatus(setLive), []);
  // the stream is opened for those who may see jobs: for them, say so when it stays down
  const wantsLive = can(session, "Jobs.View");
  const [offline, setOffline] = useState(false);
  useEffect(() => {
    if (live || !wantsLive) { setOffline(false); return; }
    const timer = setTimeout(() => setOffline(true), OFFLINE_BANNER_AFTER_MS);
    return () => clearTimeout(timer);
  }, [live, wantsLive]);
  const visible = NAV.filter((n) => !n.permission || session.permissions.tenant.includes(n.permission) || Object.values(session.permissions.folders).some((p) => p.includes(n.permission!)));
  const section = route.path[0] ?? "";
  useEffect(() => {
    if (section === "" && visible[0]) location.replace(`#/${visible[0].path}`);
  }, [section]);
  // signed out here either way: a failed DELETE means the session may already be gone
  const logout = () => { api("/session", { method: "DELETE" }).then(onLogout, onLogout); };
  const label = NAV.find((n) => n.path === section)?.label;
  useEffect(() => { document.title = `${label ? `${label} · ` : ""}Baton`; }, [label]);
  return (
    <Ctx.Provider value={{ session, folders: folders ?? [], reloadFolders }}>
      <div class="shell">
        <header class="topbar">
          <button type="button" class="nav-toggle secondary outline" aria-expanded={navOpen} aria-controls="nav" onClick={() => setNavOpen(!navOpen)}>
            <span aria-hidden="true">☰</span> Menu
          </button>
          <a class="brand" href="#/jobs">Baton</a>
          <span class="tenant">{org} / {tenant}</span>
          <span class={`live ${live ? "on" : "off"}`} title={live ? "Live updates connected" : "Live updates reconnecting"} data-testid="live">{live ? "● live" : "○ offline"}</span>
          <a class="user" href="#/account" title="Your account and password">{session.user.name}</a>
          <button type="button" class="secondary outline small" onClick={logout}>Sign out</button>
          {offline ? (
            <div class="offline-banner" role="status" data-testid="offline-banner">
              <strong>Live updates are disconnected.</strong> What this page shows may be out of date; the console reconnects by itself.{" "}
              <button type="button" class="secondary outline small" onClick={() => startLive()}>Reconnect now</button>
            </div>
          ) : null}
        </header>
        <nav id="nav" class={`sidenav ${navOpen ? "open" : ""}`} aria-label="Main">
          <ul>
            {visible.map((n) => (
              <li key={n.path}><a href={`#/${n.path}`} aria-current={section === n.path ? "page" : undefined} onClick={() => setNavOpen(false)}>{n.label}</a></li>
            ))}
            {/* the tenant's interactive API reference (no session needed), beside the console: a tab of its own */}
            <li><a href={`${apiBase}/reference`} target="_blank" rel="noopener" onClick={() => setNavOpen(false)}>API reference</a></li>
          </ul>
        </nav>
        <main class="content">
          {folders === null ? <Loading /> : section === "account"
            ? <Account onPasswordChanged={() => { location.hash = "#/jobs"; onLogout(); }} />
            : <Page section={section} rest={route.path.slice(1)} query={route.query} />}
        </main>
      </div>
    </Ctx.Provider>
  );
}

function Page({ section, rest, query }: { section: string; rest: string[]; query: URLSearchParams }) {
  switch (section) {
    case "": return <Loading />;
    case "jobs": return rest[0] ? <JobDetail key={rest[0]} jobKey={rest[0]} /> : <Jobs key={query.toString()} query={query} />;
    case "start": return <StartJob folderKey={query.get("folder")} processName={query.get("process")} />;
    case "triggers":
      return rest[0] ? <TriggerDetail key={rest[0]} id={rest[0]} /> : <Triggers />;
    case "time-triggers":
      return rest[0] ? <TimeTriggerDetail key={rest[0]} id={rest[0]} /> : <TimeTriggers key={query.get("folder") ?? ""} folderKey={query.get("folder")} />;
    case "processes": return <Processes />;
    case "robots": return <Robots />;
    case "folders": return <Folders />;
    case "users": return <Users />;
    case "tokens": return <Tokens />;
    case "external-apps": return <ExternalApps />;
    case "webhooks": return <Webhooks />;
    case "settings": return <Settings />;
    case "audit": return <Audit />;
    default: return <ErrorBox error={new Error(`There is no page '${section}'.`)} />;
  }
}

render(<App />, document.getElementById("app")!);
