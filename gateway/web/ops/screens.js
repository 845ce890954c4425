// The operator's screens: each is (body, {api, session}) -> mounts itself into body.
import { t, when } from "../lib/i18n.js";
import { attempt, empty, field, formValues, go, h, mount, statusBadge, toast } from "../lib/ui.js";

function table(headers, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headers.map((x) => h("th", {}, x)),
      ),
    ),
    h("tbody", {}, rows),
  );
}

async function loginScreen(body, { api, session }) {
  const problems = h("div");
  const form = h(
    "form.narrow",
    { id: "operator-login-form" },
    field(t("field.phone"), h("input", { name: "phone", type: "tel", required: true })),
    field(t("ops.password"), h("input", { name: "password", type: "password", required: true })),
    problems,
    h("button", { type: "submit" }, t("login.submit")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const login = await api.post("/operator/login", formValues(form));
      session.set({ token: login.token, role: login.role });
      go("#/");
    });
  });
  mount(body, h("h1", {}, t("ops.title")), h("h2", {}, t("login.title")), form);
}

async function servicesScreen(body, { api }) {
  const health = await api.get("/operator/services");
  mount(
    body,
    h("h1", {}, t("ops.nav.services")),
    table(
      [t("ops.service"), t("ops.health")],
      Object.entries(health.services).map(([name, state]) =>
        h("tr", { "data-service": name }, h("td", {}, name), h("td", {}, t(`ops.health.${state}`))),
      ),
      { id: "services" },
    ),
  );
}

async function parkedScreen(body, { api }) {
  const problems = h("div");
  const list = await api.get("/operator/parked-events?status=parked");
  const reload = () => parkedScreen(body, { api });
  const act = (event, action) =>
    attempt(problems, async () => {
      if (action === "discard" && !window.confirm(t("ops.parked.confirm_discard"))) return;
      await api.post(`/operator/parked-events/${event.service}/${event.id}/${action}`);
      toast(t("common.saved"));
      await reload();
    });
  mount(
    body,
    h("h1", {}, t("ops.nav.parked")),
    list.unavailable.length
      ? h("p.problem", {}, t("ops.parked.unavailable", { services: list.unavailable.join(", ") }))
      : null,
    problems,
    list.items.length
      ? table(
          [
            t("ops.service"),
            t("ops.parked.event"),
            t("ops.parked.consumer"),
            t("ops.parked.error"),
            "",
          ],
          list.items.map((event) =>
            h(
              "tr",
              { "data-parked": `${event.service}/${event.id}` },
              h("td", {}, event.service),
              h("td", {}, event.event_type || "?", h("br"), h("small.muted", {}, event.event_id)),
              h("td", {}, event.consumer),
              h("td", {}, h("small", {}, event.last_error)),
              h(
                "td",
                {},
                h(
                  "button",
                  { "data-replay": event.id, onclick: () => act(event, "replay") },
                  t("ops.parked.replay"),
                ),
                " ",
                h(
                  "button.secondary",
                  { "data-discard": event.id, onclick: () => act(event, "discard") },
                  t("ops.parked.discard"),
                ),
              ),
            ),
          ),
          { id: "parked" },
        )
      : empty(t("ops.parked.empty")),
  );
}

async function communitiesScreen(body, { api }) {
  const problems = h("div");
  const page = await api.get("/operator/communities?limit=100");
  const reload = () => communitiesScreen(body, { api });
  const suspend = (c) =>
    attempt(problems, async () => {
      const reason = window.prompt(t("ops.communities.reason", { name: c.name }));
      if (!reason) return;
      await api.post(`/operator/communities/${c.slug}/suspend`, { reason });
      toast(t("common.saved"));
      await reload();
    });
  const resume = (c) =>
    attempt(problems, async () => {
      await api.post(`/operator/communities/${c.slug}/resume`);
      toast(t("common.saved"));
      await reload();
    });
  mount(
    body,
    h("h1", {}, t("ops.nav.communities")),
    problems,
    page.items.length
      ? table(
          [
            t("ops.communities.name"),
            t("ops.communities.leader"),
            t("ops.communities.members"),
            t("ops.communities.orders"),
            t("ops.communities.created"),
            t("ops.communities.status"),
            "",
          ],
          page.items.map((c) =>
            h(
              "tr",
              { "data-community": c.slug },
              h("td", {}, c.name, h("br"), h("small.muted", {}, c.slug)),
              h(
                "td",
                {},
                c.leader.display_name,
                h("br"),
                h("small.muted", {}, c.leader.phone || ""),
              ),
              h("td", {}, String(c.members_total)),
              h("td", {}, String(c.orders_last_30_days)),
              h("td", {}, when(c.created_at)),
              h(
                "td",
                {},
                statusBadge(c.status),
                c.suspended_reason ? h("br") : null,
                c.suspended_reason ? h("small", {}, c.suspended_reason) : null,
              ),
              h(
                "td",
                {},
                c.status === "suspended"
                  ? h(
                      "button",
                      { "data-resume": c.slug, onclick: () => resume(c) },
                      t("ops.communities.resume"),
                    )
                  : h(
                      "button.secondary",
                      { "data-suspend": c.slug, onclick: () => suspend(c) },
                      t("ops.communities.suspend"),
                    ),
              ),
            ),
          ),
          { id: "communities" },
        )
      : empty(t("ops.communities.empty")),
  );
}

async function deliveriesScreen(body, { api }) {
  const page = await api.get("/operator/deliveries?status=failed&limit=100");
  mount(
    body,
    h("h1", {}, t("ops.nav.deliveries")),
    page.items.length
      ? table(
          [
            t("ops.deliveries.community"),
            t("ops.deliveries.kind"),
            t("ops.deliveries.attempts"),
            t("ops.parked.error"),
            t("ops.deliveries.created"),
          ],
          page.items.map((d) =>
            h(
              "tr",
              { "data-delivery": d.id },
              h("td", {}, d.community),
              h("td", {}, d.kind, h("br"), h("small.muted", {}, d.subject)),
              h("td", {}, String(d.attempts)),
              h("td", {}, h("small", {}, d.last_error || "")),
              h("td", {}, when(d.created_at)),
            ),
          ),
          { id: "deliveries" },
        )
      : empty(t("ops.deliveries.empty")),
  );
}

async function auditScreen(body, { api }) {
  const page = await api.get("/operator/audit?limit=100");
  mount(
    body,
    h("h1", {}, t("ops.nav.audit")),
    page.items.length
      ? table(
          [
            t("ops.audit.when"),
            t("ops.audit.actor"),
            t("ops.audit.action"),
            t("ops.audit.target"),
            t("ops.audit.outcome"),
          ],
          page.items.map((e) =>
            h(
              "tr",
              { "data-audit": e.id },
              h("td", {}, when(e.created_at)),
              h("td", {}, e.actor),
              h("td", {}, t(`ops.action.${e.action}`)),
              h("td", {}, e.target),
              h("td", {}, t(`ops.outcome.${e.outcome}`)),
            ),
          ),
          { id: "audit" },
        )
      : empty(t("ops.audit.empty")),
  );
}

export const SCREENS = {
  "": servicesScreen,
  login: loginScreen,
  parked: parkedScreen,
  communities: communitiesScreen,
  deliveries: deliveriesScreen,
  audit: auditScreen,
};
