// Settings, notification channels (通知渠道) and what they delivered.
import { t, when } from "../../lib/i18n.js";
import { attempt, empty, field, formValues, h, mount, problemBox, toast } from "../../lib/ui.js";
import { api } from "../context.js";
import { splitList, table } from "../widgets.js";

function channelTarget(c) {
  if (c.type === "webhook") return c.url;
  return `${c.host}:${c.port} · ${c.from || ""} → ${(c.to || []).join(", ")}`;
}

function channelForm(onAdded) {
  const problems = h("div");
  const type = h(
    "select",
    { name: "type" },
    ["webhook", "smtp"].map((x) => h("option", { value: x }, t(`channels.type.${x}`))),
  );
  const webhook = h(
    "div",
    {},
    field(
      t("channels.url"),
      h("input", {
        name: "url",
        type: "url",
        placeholder: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
      }),
    ),
  );
  const smtp = h(
    "div",
    {},
    h(
      "div.row",
      {},
      h(
        "div.grow",
        {},
        field(t("channels.host"), h("input", { name: "host", placeholder: "smtp.example.com" })),
      ),
      field(
        t("channels.port"),
        h("input", {
          name: "port",
          type: "number",
          min: "1",
          max: "65535",
          value: "587",
          style: "width:6rem",
        }),
      ),
    ),
    field(t("channels.username"), h("input", { name: "username", autocomplete: "off" })),
    field(
      t("channels.password"),
      h("input", { name: "password", type: "password", autocomplete: "new-password" }),
    ),
    field(t("channels.from"), h("input", { name: "from", type: "email" })),
    field(
      t("channels.to"),
      h("input", { name: "to", placeholder: "a@example.com, b@example.com" }),
    ),
    h(
      "label.row",
      {},
      h("input", { name: "starttls", type: "checkbox", checked: true, style: "width:auto" }),
      t("channels.starttls"),
    ),
  );
  const sync = () => {
    webhook.hidden = type.value !== "webhook";
    smtp.hidden = type.value !== "smtp";
  };
  type.addEventListener("change", sync);
  sync();
  const form = h(
    "form.narrow",
    { id: "channel-form" },
    field(t("channels.type"), type),
    field(t("channels.name"), h("input", { name: "name", maxlength: "40" })),
    webhook,
    smtp,
    problems,
    h("button", { type: "submit" }, t("channels.add")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const v = formValues(form);
      const payload = { type: v.type };
      if (v.name) payload.name = v.name;
      if (v.type === "webhook") payload.url = v.url;
      else {
        Object.assign(payload, {
          host: v.host,
          port: v.port,
          from: v.from,
          to: splitList(v.to),
          starttls: v.starttls,
        });
        if (v.username) payload.username = v.username;
        if (v.password) payload.password = v.password;
      }
      await api.post("/community/channels", payload);
      toast(t("common.saved"));
      onAdded();
    });
  });
  return form;
}

export async function channelsSection(box) {
  const [channels, deliveries] = await Promise.all([
    api.get("/community/channels"),
    api.get("/community/deliveries?limit=30"),
  ]);
  const problems = h("div");
  const reload = () => channelsSection(box).catch((error) => mount(box, problemBox(error)));
  const remove = (c) =>
    attempt(problems, async () => {
      if (!window.confirm(t("channels.confirm_remove"))) return;
      await api.del(`/community/channels/${c.id}`);
      toast(t("common.saved"));
      await reload();
    });
  const names = Object.fromEntries(
    channels.items.map((c) => [c.id, c.name || t(`channels.type.${c.type}`)]),
  );
  mount(
    box,
    h("p.muted", {}, t("channels.intro")),
    problems,
    channels.items.length
      ? table(
          [
            t("channels.type"),
            t("channels.column_name"),
            t("channels.target"),
            t("campaigns.created"),
            "",
          ],
          channels.items.map((c) =>
            h(
              "tr",
              { "data-channel": c.id },
              h("td", {}, t(`channels.type.${c.type}`)),
              h("td", {}, c.name || ""),
              h("td", { style: "word-break:break-all" }, channelTarget(c)),
              h("td", {}, when(c.created_at)),
              h(
                "td",
                {},
                h(
                  "button.secondary",
                  { "data-remove-channel": c.id, onclick: () => remove(c) },
                  t("common.remove"),
                ),
              ),
            ),
          ),
          { id: "channels" },
        )
      : empty(t("channels.empty")),
    h("h3", {}, t("channels.new")),
    channelForm(reload),
    h("h3", {}, t("channels.deliveries")),
    deliveries.items.length
      ? table(
          [
            t("live.at"),
            t("channels.channel"),
            t("channels.subject"),
            t("field.status"),
            t("channels.attempts"),
            t("channels.last_error"),
          ],
          deliveries.items.map((d) =>
            h(
              "tr",
              { "data-delivery": d.id },
              h("td", {}, when(d.created_at)),
              h("td", {}, names[d.channel_id] || "—"),
              h("td", {}, d.subject, d.recipient ? h("span.muted", {}, ` → ${d.recipient}`) : null),
              h(
                "td",
                {},
                h(
                  `span.badge.s-${d.status === "delivered" ? "paid" : d.status === "failed" ? "rejected" : "pending"}`,
                  {},
                  t(`delivery.${d.status}`),
                ),
              ),
              h("td", {}, d.attempts),
              h("td.muted", { style: "word-break:break-all" }, d.last_error || ""),
            ),
          ),
          { id: "deliveries" },
        )
      : empty(t("channels.no_deliveries")),
  );
}
