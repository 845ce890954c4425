// Waves (团购波次): the list, a new wave, and one wave's fulfilment and documents.
import { money, t, when } from "../../lib/i18n.js";
import {
  attempt,
  empty,
  field,
  formValues,
  go,
  h,
  mount,
  statusBadge,
  toast,
} from "../../lib/ui.js";
import { api } from "../context.js";
import { chosenOffers, isoFromLocal, localInput, offerRows, table } from "../widgets.js";

export async function wavesScreen(body, [waveId]) {
  if (waveId) return waveDetail(body, waveId);
  const [waves, products] = await Promise.all([
    api.get("/waves?limit=100"),
    api.get("/products?limit=100"),
  ]);
  const onSale = products.items.filter((p) => p.status === "on_sale");
  const problems = h("div");
  const now = new Date();
  const form = h(
    "form",
    { id: "wave-form" },
    h(
      "div.narrow",
      {},
      field(t("field.title"), h("input", { name: "title", required: true })),
      field(
        t("field.cutoff_at"),
        h("input", {
          name: "cutoff_at",
          type: "datetime-local",
          required: true,
          value: localInput(new Date(now.getTime() + 86400000)),
        }),
      ),
      field(
        t("field.pickup_at"),
        h("input", {
          name: "pickup_at",
          type: "datetime-local",
          required: true,
          value: localInput(new Date(now.getTime() + 2 * 86400000)),
        }),
      ),
      field(t("field.pickup_point"), h("input", { name: "pickup_point", required: true })),
      field(t("field.packing_note"), h("textarea", { name: "packing_note" })),
    ),
    offerRows(onSale, t("field.wave_price")),
    problems,
    h("button", { type: "submit" }, t("waves.create")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(problems, async () => {
      const values = formValues(form);
      const payload = {
        title: values.title,
        cutoff_at: isoFromLocal(values.cutoff_at),
        pickup_at: isoFromLocal(values.pickup_at),
        pickup_point: values.pickup_point,
        items: chosenOffers(values, onSale, "price_cents"),
      };
      if (values.packing_note) payload.packing_note = values.packing_note;
      const wave = await api.post("/waves", payload);
      go(`#/waves/${wave.id}`);
    });
  });
  mount(
    body,
    h("h1", {}, t("nav.waves")),
    waves.items.length
      ? table(
          [t("field.title"), t("field.cutoff_at"), t("field.pickup_at"), t("field.status"), ""],
          waves.items.map((w) =>
            h(
              "tr",
              { "data-wave": w.id },
              h("td", {}, w.title),
              h("td", {}, when(w.cutoff_at)),
              h("td", {}, when(w.pickup_at)),
              h("td", {}, statusBadge(w.status)),
              h("td", {}, h("a", { href: `#/waves/${w.id}` }, t("common.open"))),
            ),
          ),
        )
      : empty(t("waves.empty")),
    h("h2", {}, t("waves.new")),
    onSale.length ? form : empty(t("waves.need_products")),
  );
}

async function waveDetail(body, waveId) {
  const wave = await api.get(`/waves/${encodeURIComponent(waveId)}`);
  const problems = h("div");
  const lists = h("div", { id: "lists" });
  const move = (status) =>
    attempt(problems, async () => {
      const moved = await api.post(`/waves/${wave.id}/fulfillment`, { status });
      toast(t("waves.moved", { count: moved.moved, status: t(`status.${status}`) }));
    });
  const showPicking = (groupBy) =>
    attempt(lists, async () => {
      const list = await api.get(`/waves/${wave.id}/picking-list?group_by=${groupBy}`);
      if (groupBy === "product") {
        mount(
          lists,
          h("h3", {}, t("waves.picking_by_product")),
          table(
            [t("field.product_name"), t("field.quantity"), t("waves.orders")],
            list.products.map((p) =>
              h("tr", {}, h("td", {}, p.name), h("td", {}, p.quantity), h("td", {}, p.orders)),
            ),
            { id: "picking-list" },
          ),
        );
      } else {
        const rows = [];
        for (const b of list.buildings)
          for (const u of b.units)
            for (const m of u.members) {
              rows.push(
                h(
                  "tr",
                  {},
                  h("td", {}, b.building),
                  h("td", {}, u.unit),
                  h("td", {}, m.name),
                  h("td", {}, m.items.map((i) => `${i.name} × ${i.quantity}`).join(", ")),
                ),
              );
            }
        mount(
          lists,
          h("h3", {}, t("waves.picking_by_member")),
          table(
            [t("field.building"), t("field.unit_room"), t("field.name"), t("waves.items")],
            rows,
            { id: "picking-list" },
          ),
        );
      }
    });
  const showPurchase = () =>
    attempt(lists, async () => {
      const list = await api.get(`/waves/${wave.id}/purchase-list`);
      mount(
        lists,
        h("h3", {}, t("waves.purchase_list")),
        h("p.muted", {}, t("waves.needed_by", { at: when(list.needed_by) })),
        table(
          [t("field.product_name"), t("field.quantity"), t("field.unit"), t("waves.orders")],
          list.products.map((p) =>
            h(
              "tr",
              {},
              h("td", {}, p.name),
              h("td", {}, p.quantity),
              h("td", {}, p.unit),
              h("td", {}, p.orders),
            ),
          ),
        ),
      );
    });
  const download = (path, name) =>
    attempt(problems, async () => {
      const url = await api.blobUrl(path);
      const link = h("a", { href: url, download: name });
      document.body.append(link);
      link.click();
      link.remove();
    });
  // Packing slips are printable HTML behind the leader's token: fetched, then opened as a page.
  const slips = (paper) =>
    attempt(problems, async () => {
      const url = await api.blobUrl(`/waves/${wave.id}/packing-slips?paper=${paper}`);
      window.open(url, "_blank");
    });
  mount(
    body,
    h("div.row", {}, h("h1.grow", {}, wave.title), statusBadge(wave.status)),
    h(
      "p.muted",
      {},
      t("wave.cutoff", { at: when(wave.cutoff_at) }),
      " · ",
      t("wave.pickup", { at: when(wave.pickup_at), point: wave.pickup_point }),
    ),
    table(
      [
        t("field.product_name"),
        t("field.wave_price"),
        t("field.quota"),
        t("waves.sold"),
        t("waves.remaining"),
      ],
      wave.items.map((i) =>
        h(
          "tr",
          {},
          h("td", {}, i.name),
          h("td", {}, money(i.price_cents)),
          h("td", {}, i.quota ?? "—"),
          h("td", {}, i.sold),
          h("td", {}, i.remaining ?? "—"),
        ),
      ),
    ),
    h("h2", {}, t("waves.fulfillment")),
    h(
      "div.row",
      {},
      wave.status === "open"
        ? h(
            "button.secondary",
            {
              id: "close-wave",
              onclick: () =>
                attempt(problems, async () => {
                  await api.post(`/waves/${wave.id}/close`);
                  go(`#/waves/${wave.id}`);
                }),
            },
            t("waves.close"),
          )
        : null,
      ["packed", "delivering", "ready_for_pickup"].map((s) =>
        h("button", { "data-move": s, onclick: () => move(s) }, t(`waves.move.${s}`)),
      ),
    ),
    problems,
    h("h2", {}, t("waves.documents")),
    h(
      "div.row",
      {},
      h(
        "button.secondary",
        { id: "picking-product", onclick: () => showPicking("product") },
        t("waves.picking_by_product"),
      ),
      h(
        "button.secondary",
        { id: "picking-member", onclick: () => showPicking("member") },
        t("waves.picking_by_member"),
      ),
      h("button.secondary", { onclick: showPurchase }, t("waves.purchase_list")),
      h(
        "button.secondary",
        {
          onclick: () =>
            download(`/waves/${wave.id}/picking-list?format=csv`, `picking-${wave.id}.csv`),
        },
        t("waves.picking_csv"),
      ),
      h(
        "button.secondary",
        {
          onclick: () =>
            download(`/waves/${wave.id}/purchase-list?format=csv`, `purchase-${wave.id}.csv`),
        },
        t("waves.purchase_csv"),
      ),
      h("button.secondary", { id: "slips-a4", onclick: () => slips("a4") }, t("waves.slips_a4")),
      h(
        "button.secondary",
        { id: "slips-80mm", onclick: () => slips("80mm") },
        t("waves.slips_80mm"),
      ),
    ),
    lists,
  );
}
