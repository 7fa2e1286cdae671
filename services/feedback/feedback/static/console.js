// Kinerja console: plain JavaScript, no build step. Indonesian first.
"use strict";

const state = { token: sessionStorage.getItem("kinerja.token"), sub: null, roles: [], config: null, stream: null };
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
};

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { ...options, headers });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const detail = body?.detail;
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail ?? response.status));
  }
  return body;
}

// "This month" in the government's time zone (WIB), never the browser's UTC date.
function thisMonth(now = new Date()) {
  const timeZone = state.config?.timezone || "Asia/Jakarta";
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit" }).format(now);
}

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part));
}

function signedIn(token) {
  state.token = token;
  sessionStorage.setItem("kinerja.token", token);
  const c = claims(token);
  state.sub = c.sub;
  state.roles = c.roles || [];
  $("#sign-in").hidden = true;
  $("#nav").hidden = false;
  $("#who").textContent = `NIP ${state.sub} (${state.roles.join(", ")})`;
  $("#nav-calendar").hidden = !state.roles.some((r) => r === "admin" || r === "ops");
  $("#nav-recap").hidden = !state.roles.includes("admin");
  $("#nav-city").hidden = !state.roles.some((r) => r === "admin" || r === "ops");
  const employeeOnly = state.roles.length === 1 && state.roles[0] === "employee";
  for (const id of ["#nav-team", "#nav-attention", "#nav-unit"]) $(id).hidden = employeeOnly;
  openStream();
  state.roles.includes("employee") ? showPerson(state.sub) : showTeam();
}

// Every view the person opens takes the next number. A view whose answer comes late (the big
// team page, say) draws only if nothing was opened after it, so it never covers the later one.
let latestView = 0;
function opening() {
  const mine = ++latestView;
  state.view = null; // what a live update may redraw: set by the person and team views
  return (title, ...content) => (mine === latestView ? view(title, ...content) : null);
}

function view(title, ...content) {
  const section = $("#view");
  section.hidden = false;
  section.replaceChildren(el("h2", { tabindex: "-1", id: "view-title" }, title), ...content.flat());
  $("#view-title").focus();
  return section;
}

const dash = (v) => v ?? "—";

const teamQuery = { period: "", page: 1, size: 50, sort: "name", descending: false, predikat: "", discipline_level: "", attention: false, q: "" };
const PREDIKAT = ["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang"];
const SORTS = { name: "Nama", predikat: "Predikat", discipline: "Disiplin", tanpa_keterangan: "Tanpa keterangan", tl_psw_days: "Hari TL/PSW", hadir: "Hadir" };

function teamParams() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(teamQuery)) if (v !== "" && v !== false) p.set(k, String(v));
  return p.toString();
}

function select(id, label, options, value, onchange) {
  return el("label", { for: id }, label, " ",
    el("select", { id, onchange: (ev) => onchange(ev.target.value) },
      options.map(([v, text]) => { const o = el("option", { value: v }, text); if (v === value) o.selected = true; return o; })));
}

function teamControls() {
  const reload = (change) => { Object.assign(teamQuery, change, { page: 1 }); showTeam(); };
  const search = el("form", { class: "inline", role: "search", onsubmit: (ev) => { ev.preventDefault(); reload({ q: ev.target.elements.q.value.trim() }); } },
    el("label", { for: "team-q" }, "Cari nama atau NIP "),
    el("input", { id: "team-q", name: "q", type: "search", value: teamQuery.q }),
    el("button", { type: "submit", class: "secondary" }, "Cari"));
  return el("div", { class: "controls" }, search,
    select("team-period", "Periode", periodChoices(), teamQuery.period, (v) => reload({ period: v })),
    select("team-predikat", "Predikat", [["", "Semua"], ...PREDIKAT.map((p) => [p, p]), ["none", "Belum ada"]], teamQuery.predikat, (v) => reload({ predikat: v })),
    select("team-level", "Disiplin", [["", "Semua"], ["ringan", "Ringan"], ["sedang", "Sedang"], ["berat", "Berat"], ["none", "Tidak ada"]], teamQuery.discipline_level, (v) => reload({ discipline_level: v })),
    select("team-sort", "Urutkan", Object.entries(SORTS), teamQuery.sort, (v) => reload({ sort: v })),
    el("label", { for: "team-attention" }, el("input", { id: "team-attention", type: "checkbox", ...(teamQuery.attention ? { checked: "" } : {}),
      onchange: (ev) => reload({ attention: ev.target.checked }) }), " Hanya yang perlu perhatian"));
}

// The periods a team is seen by: this month and the two before, this quarter, this year.
function periodChoices() {
  const month = thisMonth();
  const [y, m] = month.split("-").map(Number);
  const quarter = `${y}-Q${Math.ceil(m / 3)}`;
  return [["", `Bulan ini (${monthName(month)})`], ...[-1, -2].map((d) => [monthMove(month, d), monthName(monthMove(month, d))]),
    [quarter, periodName(quarter)], [String(y), periodName(String(y))]];
}

// "2026-11" → "November 2026", "2026-Q4" → "Triwulan IV 2026", "2026" → "Tahun 2026".
function periodName(period) {
  const q = /^(\d{4})-Q([1-4])$/.exec(period);
  if (q) return `Triwulan ${["I", "II", "III", "IV"][Number(q[2]) - 1]} ${q[1]}`;
  return /^\d{4}$/.test(period) ? `Tahun ${period}` : monthName(period);
}

// A photo's place: the person's initials, until the city's photos are connected.
const initials = (name) => name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");

function pager(total) {
  const pages = Math.max(1, Math.ceil(total / teamQuery.size));
  const go = (page) => { teamQuery.page = page; showTeam(); };
  return el("nav", { class: "pager", "aria-label": "Halaman tim" },
    el("button", { type: "button", class: "secondary", onclick: () => go(teamQuery.page - 1), ...(teamQuery.page <= 1 ? { disabled: "" } : {}) }, "‹ Sebelumnya"),
    el("span", {}, ` Halaman ${teamQuery.page} dari ${pages} `),
    el("button", { type: "button", class: "secondary", onclick: () => go(teamQuery.page + 1), ...(teamQuery.page >= pages ? { disabled: "" } : {}) }, "Berikutnya ›"));
}

function teamTable(team) {
  const rows = team.members.map((m) =>
    el("tr", {},
      el("td", {}, el("div", { class: "who" }, el("span", { class: "avatar", "aria-hidden": "true" }, initials(m.name)),
        el("button", { class: "secondary", type: "button", onclick: () => showPerson(m.nip),
                       "aria-label": `Buka ${m.name}` }, m.name)),
        m.position ? el("div", { class: "muted" }, m.position) : ""),
      el("td", {}, m.nip), el("td", {}, dash(m.predikat)), el("td", {}, dash(m.predikat_30d)),
      el("td", {}, dash(m.discipline)), el("td", {}, String(m.tanpa_keterangan)), el("td", {}, String(m.tl_psw_days)),
      el("td", {}, dash(m.ikm)), el("td", {}, dash(m.hasil_kerja)),
      el("td", {}, String(m.feedback_threads)), el("td", {}, m.change)));
  const first = (team.page - 1) * team.size + 1;
  return el("div", { class: "table-wrap" }, el("table", { id: "team" },
    el("caption", { class: "muted" }, team.total
      ? `${first}–${first + team.members.length - 1} dari ${team.total} orang di bawah Anda`
      : "Tidak ada orang yang cocok dengan pilihan ini."),
    el("thead", {}, el("tr", {}, ...["Nama", "NIP", "Predikat periode", "Predikat 30 hari", "Disiplin", "Tanpa keterangan",
                                    "Hari TL/PSW", "IKM", "Hasil kerja", "Umpan balik", "Perubahan"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows)));
}

async function showTeam() {
  const draw = opening();
  draw("Tim saya", el("p", { class: "muted", role: "status" }, "Memuat daftar tim…"));
  try {
    const team = await api(`/v1/console/team?${teamParams()}`);
    const when = periodName(team.period);
    if (draw(`Tim saya — ${when}`, teamControls(), teamTable(team), pager(team.total))) {
      state.view = { kind: "team", nips: new Set(team.members.map((m) => m.nip)) };
    }
  } catch (e) {
    draw("Tim saya", el("p", { class: "error", role: "alert" }, `Daftar tim belum dapat ditampilkan. ${e.message}`),
      el("button", { type: "button", onclick: showTeam }, "Coba lagi"));
  }
}

// Live figures: scoring changed someone's figures (through the notifier's stream). The page
// on screen redraws only its figures, never a form being filled in.
let teamRefresh = null;
async function liveFigures(f) {
  const v = state.view;
  if (v?.kind === "person" && v.nip === f.nip && (!f.periods.length || f.periods.includes(v.period))) {
    const ev = await api(`/v1/console/employees/${f.nip}/evaluation?period=${v.period}`).catch(() => null);
    const shown = $("#evaluation");
    const typing = [...document.querySelectorAll("#day-detail input")].some((i) => i.value);
    const openDay = $("#day-detail")?.dataset.date; // an open day stays open, read afresh
    if (ev && shown && state.view === v && !typing) {
      shown.replaceWith(evaluationView(ev));
      liveNote();
      if (openDay && $("#days")) showDay(f.nip, openDay);
    }
  }
  if (v?.kind === "team" && v.nips.has(f.nip) && !teamRefresh) {
    teamRefresh = setTimeout(async () => { // a day's close changes many: one redraw for them all
      teamRefresh = null;
      const team = await api(`/v1/console/team?${teamParams()}`).catch(() => null);
      const shown = $("#team")?.parentElement;
      if (team && shown && state.view === v) {
        shown.replaceWith(teamTable(team));
        v.nips = new Set(team.members.map((m) => m.nip));
        liveNote();
      }
    }, 2000);
  }
}

function liveNote() {
  const at = new Intl.DateTimeFormat("id-ID", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Jakarta" }).format(new Date());
  $("#stream-state").textContent = `Tersambung. Angka diperbarui pukul ${at} WIB.`;
}

function entryView(entry, threadId) {
  const c = entry.current;
  const history = entry.history.length > 1
    ? el("details", {}, el("summary", {}, `${entry.history.length} versi`),
        el("ol", {}, entry.history.map((h) => el("li", {}, `${waktu(h.at)}: ${h.body.text}`))))
    : "";
  return el("div", { class: `entry ${entry.kind}` },
    el("p", {}, el("strong", {}, entry.kind === "reply" ? "Balasan" : "Umpan balik"), ` oleh ${entry.author}`),
    el("p", { class: "entry-text" }, c.text),
    c.strengths?.length ? el("p", {}, "Kekuatan: ", c.strengths.join("; ")) : "",
    c.improvements?.length ? el("p", {}, "Perlu ditingkatkan: ", c.improvements.join("; ")) : "",
    c.actions?.length ? el("ul", { class: "actions" }, c.actions.map((a, i) => el("li", {}, `${a.what} — ${a.owner_nip}, tenggat ${tanggal(a.due)} `,
      a.done ? el("span", { class: "badge ok" }, "selesai")
        : entry.author === state.sub && threadId ? el("button", { type: "button", class: "secondary", onclick: () => markDone(threadId, entry, i) }, "Tandai selesai") : ""))) : "",
    history);
}

// The entry's author marks an agreed action done: a new version of the entry (every version
// stays), so the history shows when.
async function markDone(threadId, entry, index) {
  const body = structuredClone(entry.current);
  body.actions[index].done = true;
  try {
    await api(`/v1/feedback/${threadId}/entries/${entry.id}`, { method: "PUT", body: JSON.stringify(body) });
    showPerson(state.view?.nip ?? state.sub, state.view?.period);
  } catch (e) { alert(`Belum dapat ditandai: ${e.message}`); }
}

function threadView(thread, nip) {
  const reply = el("form", { class: "reply", onsubmit: async (ev) => {
    ev.preventDefault();
    const text = ev.target.elements.text.value;
    try { await api(`/v1/feedback/${thread.id}/replies`, { method: "POST", body: JSON.stringify({ text }) }); showPerson(nip); }
    catch (e) { ev.target.querySelector(".error").textContent = e.message; }
  } },
    el("label", { for: `reply-${thread.id}` }, "Balas"),
    el("textarea", { id: `reply-${thread.id}`, name: "text", required: "", rows: "2" }),
    el("button", { type: "submit" }, "Kirim balasan"), el("p", { class: "error", role: "alert" }));
  const ack = state.sub === nip && !thread.acknowledged
    ? el("button", { type: "button", onclick: async () => { await api(`/v1/feedback/${thread.id}/ack`, { method: "POST" }); showPerson(nip); } }, "Saya telah membaca")
    : "";
  return el("article", { class: "card thread" },
    el("h4", {}, `${thread.category} · ${thread.period} `, el("span", { class: "badge" }, thread.visibility),
      thread.acknowledged ? el("span", { class: "badge ok" }, " diterima pegawai") : ""),
    thread.entries.map((entry) => entryView(entry, thread.id)), ack, reply);
}

const DAY_STATUS = { hadir: "Hadir", izin: "Izin/cuti/dinas", tanpa_keterangan: "Tanpa keterangan", libur: "Libur" };
const MONTH_NAME = new Intl.DateTimeFormat("id-ID", { month: "long", year: "numeric", timeZone: "UTC" });
const DAY_NAME = new Intl.DateTimeFormat("id-ID", { weekday: "short", day: "numeric", timeZone: "UTC" });
const DATE_NAME = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
// "2026-10-01" as Indonesian writes it: "1 Oktober 2026".
const tanggal = (iso) => DATE_NAME.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`));
// A moment in WIB: "29 November 2026 pukul 21.05 WIB" (a stored time without a zone is UTC).
const WAKTU = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Jakarta" });
const waktu = (iso) => `${WAKTU.format(new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`))} WIB`;

// "2026-11" moved by whole months, and its Indonesian name ("November 2026").
function monthMove(period, delta) {
  const [y, m] = period.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + delta, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}
const monthName = (period) => MONTH_NAME.format(new Date(`${period}-01T00:00:00Z`));

// One figure, its value, and the sentence that explains it (scoring writes the sentence from the
// evaluation's own evidence and the city's policy: the same words for everyone).
function figure(id, title, value, sentence) {
  return el("div", { class: "card figure", id }, el("h4", {}, `${title}: `, el("strong", {}, dash(value))),
    sentence ? el("p", { class: "why" }, sentence) : "");
}

function dayGrid(standings, nip) {
  return el("ol", { class: "days", id: "days", "aria-label": "Kehadiran hari demi hari" },
    standings.map((s) => el("li", { class: `day ${s.status}` },
      el("span", { class: "date" }, DAY_NAME.format(new Date(`${s.date}T00:00:00Z`))),
      el("span", {}, DAY_STATUS[s.status] || s.status),
      s.tl ? el("span", { class: "badge" }, `${s.tl} · ${s.late_minutes} mnt`) : "",
      s.psw ? el("span", { class: "badge" }, `${s.psw} · ${s.early_minutes} mnt`) : "",
      el("button", { type: "button", class: "secondary day-open", "aria-label": `Rincian presensi ${tanggal(s.date)}`,
                     onclick: () => showDay(nip, s.date) }, "Rincian"))));
}

// One day's punches as scoring keeps them: what the machines recorded, what an administrator
// voided and why. An administrator voids a wrong punch here (intake publishes the correction).
const ARAH = { in: "masuk", out: "pulang", unknown: "masuk/pulang" };
async function showDay(nip, date) {
  $("#day-detail")?.remove();
  const panel = el("section", { id: "day-detail", class: "card", "aria-live": "polite", "data-date": date },
    el("p", { class: "muted", role: "status" }, "Memuat presensi…"));
  $("#days").after(panel);
  try {
    const day = await api(`/v1/console/employees/${nip}/days/${date}`);
    panel.replaceChildren(el("h4", {}, `Presensi ${tanggal(date)}`),
      day.punches.length
        ? el("ul", { id: "punches" }, day.punches.map((p) => punchLine(nip, p)))
        : el("p", {}, "Tidak ada presensi tercatat pada hari ini."),
      day.corrections.length
        ? el("ul", { id: "corrections" }, day.corrections.map((c) => el("li", {},
            `Presensi ${waktu(c.punch_at)} dibatalkan oleh administrator NIP ${c.voided_by}: ${c.reason}`)))
        : "");
  } catch (e) {
    panel.replaceChildren(el("p", { class: "error", role: "alert" }, `Presensi hari itu belum dapat ditampilkan. ${e.message}`));
  }
}

function punchLine(nip, p) {
  const line = el("li", {}, `${waktu(p.at)} · ${ARAH[p.direction] || p.direction}`,
    p.voided ? el("span", { class: "badge" }, "dibatalkan") : "");
  if (!p.voided && state.roles.includes("admin")) line.append(" ", voidForm(nip, p));
  return line;
}

function voidForm(nip, p) {
  const status = el("span", { class: "status", role: "status" });
  const reason = el("input", { type: "text", minlength: "10", maxlength: "1000", required: "",
                               "aria-label": `Alasan membatalkan presensi ${waktu(p.at)}` });
  return el("form", { class: "void", onsubmit: async (ev) => {
    ev.preventDefault();
    status.textContent = "Mengirim koreksi…";
    try {
      const r = await api("/v1/console/attendance/voids", { method: "POST",
        body: JSON.stringify({ nip, event_id: p.event_id, punch_at: p.at, reason: reason.value }) });
      status.textContent = `Koreksi diterima: hari ${tanggal(r.day)} dinilai ulang tanpa presensi ini.`;
      reason.value = ""; // sent: the next live redraw may now show the day judged again
    } catch (e) {
      status.textContent = `Koreksi belum diterima: ${e.message}`;
    }
  } }, reason, el("button", { type: "submit", class: "secondary" }, "Batalkan presensi"), status);
}

function targetTable(indicators) {
  if (!indicators?.length) return "";
  return el("table", { id: "targets" },
    el("caption", {}, "Target kinerja (SKP) dan capaiannya"),
    el("thead", {}, el("tr", {}, ["Indikator", "Target", "Realisasi", "Capaian", "Status"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, indicators.map((i) => el("tr", {},
      el("td", {}, i.indicator + (i.main ? " (utama)" : "")), el("td", {}, `${i.target} ${i.unit || ""}`),
      el("td", {}, String(i.realized)), el("td", {}, i.achievement_percent != null ? `${i.achievement_percent}%` : "—"),
      el("td", {}, { above: "di atas target", meets: "sesuai target", below: "di bawah target" }[i.status] || i.status)))));
}

// The evaluation as its person reads it: every figure with its sentence, the month day by day,
// the targets, and the rules' own evidence for whoever wants to check.
function evaluationView(ev) {
  const why = ev.penjelasan || {};
  return el("div", { id: "evaluation" },
    el("div", { class: "card" },
      el("h3", {}, `Predikat ${periodName(ev.period)}: `, el("span", { id: "predikat" }, dash(ev.predikat))),
      el("p", { class: "why", id: "why-predikat" }, why.predikat || "")),
    el("div", { class: "figures" },
      figure("fig-kehadiran", "Kehadiran", `${ev.attendance?.hadir ?? 0} hari hadir`, why.kehadiran),
      figure("fig-disiplin", "Disiplin", ev.discipline?.level || "tidak ada hukuman", why.disiplin),
      figure("fig-tpp", "Potongan TPP", ev.tpp_disiplin_deduction_percent != null ? `${String(ev.tpp_disiplin_deduction_percent).replace(".", ",")}%` : "—", why.tpp),
      figure("fig-ikm", "IKM", ev.ikm?.final ? `${ev.ikm.converted} (${ev.ikm.category})` : `${ev.ikm?.responses ?? 0} penilaian`, why.ikm),
      figure("fig-hasil", "Hasil kerja", ev.hasil_kerja?.rating, why.hasil_kerja),
      figure("fig-perilaku", "Perilaku kerja", ev.perilaku_kerja?.rating, why.perilaku_kerja)),
    ev.standings?.length ? [el("h3", {}, "Kehadiran hari demi hari"), dayGrid(ev.standings, ev.nip)] : "",
    why.koreksi ? el("div", { class: "card", id: "koreksi" }, el("h4", {}, "Koreksi presensi"), el("p", { class: "why" }, why.koreksi)) : "",
    targetTable(ev.hasil_kerja?.indicators),
    el("details", {}, el("summary", {}, "Bukti penilaian (aturan dan masukan)"),
      el("ul", {}, (ev.evidence || []).map((e) => el("li", {}, `${e.rule}: ${JSON.stringify(e.result)}`)))));
}

async function showPerson(nip, period = thisMonth()) {
  const draw = opening();
  const mine = nip === state.sub;
  draw(mine ? "Kinerja saya" : `Pegawai ${nip}`, el("p", { class: "muted", role: "status" }, "Memuat…"));
  const [evaluation, feedback, coaching, objections] = await Promise.all([
    api(`/v1/console/employees/${nip}/evaluation?period=${period}`).catch((e) => ({ error: e.message })),
    api(`/v1/employees/${nip}/feedback`).catch((e) => ({ error: e.message, threads: [] })),
    api(`/v1/employees/${nip}/coaching`).catch(() => ({ sessions: [] })),
    api(`/v1/employees/${nip}/objections`).catch(() => ({ objections: [] })),
  ]);
  const who = evaluation.employee?.name ? `${evaluation.employee.name}` : `Pegawai ${nip}`;
  // This month and this year: months move by months, a year by years.
  const yearly = /^\d{4}$/.test(period);
  const step = (delta) => (yearly ? String(Number(period) + delta) : monthMove(period, delta));
  const move = (delta, text) => el("button", { type: "button", class: "secondary", onclick: () => showPerson(nip, step(delta)) }, text);
  const other = yearly
    ? el("button", { type: "button", class: "secondary", onclick: () => showPerson(nip) }, "Lihat bulan ini")
    : el("button", { type: "button", class: "secondary", onclick: () => showPerson(nip, period.slice(0, 4)) }, `Lihat tahun ${period.slice(0, 4)}`);
  const heading = el("p", { class: "person" }, `${who} · NIP ${nip}`,
    evaluation.employee?.position ? ` · ${evaluation.employee.position}` : "",
    evaluation.employee?.unit_code ? ` · ${evaluation.employee.unit_code}` : "");
  const unit = yearly ? "Tahun" : "Bulan";
  const months = el("nav", { class: "pager", "aria-label": "Periode" }, move(-1, `‹ ${unit} sebelumnya`),
    el("span", { id: "month" }, ` ${periodName(period)} `), move(1, `${unit} berikutnya ›`), other);
  const figures = evaluation.error
    ? el("p", { class: "muted", id: "evaluation" }, `Evaluasi belum dapat ditampilkan: ${evaluation.error}`)
    : evaluationView(evaluation);
  const isSupervisor = state.roles.includes("supervisor") && state.sub !== nip;
  const forms = isSupervisor ? [feedbackForm(nip), ratingForm(nip)] : [];
  const fileStatus = el("p", { id: "document-status", role: "status" });
  const documentButton = evaluation.error ? "" : el("p", {}, el("button", { type: "button", id: "download-document",
    onclick: () => downloadFile(`/v1/console/employees/${nip}/evaluation/document?period=${period}`, `evaluasi-${nip}-${period}.pdf`, fileStatus) },
    "Unduh dokumen evaluasi (PDF)"), fileStatus);
  const recordButton = (s) => el("button", { type: "button", class: "secondary", onclick: () =>
    downloadFile(`/v1/coaching/${s.id}/document`, `bimbingan-${s.date}.pdf`, fileStatus) }, "Unduh B.1.8 (PDF)");
  draw(mine ? "Kinerja saya" : who, heading, months, figures, documentButton,
    el("h3", {}, "Dialog kinerja"),
    feedback.threads.length ? feedback.threads.map((t) => threadView(t, nip)) : el("p", { class: "muted" }, "Belum ada umpan balik."),
    ...forms,
    el("h3", {}, "Bimbingan kinerja"),
    coaching.sessions.length
      ? el("ul", { id: "coaching" }, coaching.sessions.map((s) => el("li", {}, `${tanggal(s.date)}: ${s.topics.join(", ")} — ${s.follow_up} `,
          s.employee_feedback ? el("span", { class: "badge" }, `B.1.8: ${s.employee_feedback.agreed}`)
            : state.sub === nip ? b18Form(s, coaching.b18_statements, nip) : el("span", { class: "muted" }, "(menunggu umpan balik pegawai)"),
          " ", recordButton(s))))
      : el("p", { class: "muted" }, "Belum ada sesi bimbingan."),
    isSupervisor ? coachingForm(nip) : "",
    objectionsView(nip, period, objections.objections)) && (state.view = { kind: "person", nip, period });
}

// Keberatan (PP 30/2019 Pasal 59): the employee objects to a period's result within 14 days of
// receiving it; the appraiser's superior decides, once, and the decision is final.
const RATINGS = ["Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"];

function objectionsView(nip, period, objections) {
  const item = (o) => el("li", { class: "card" },
    el("p", {}, el("strong", {}, `Periode ${o.period}`), ` · diajukan ${waktu(o.filed_at)}`),
    el("p", {}, o.reasons),
    o.decision
      ? el("p", { class: "decision" }, `Keputusan (final): ${o.decision.outcome === "ditolak" ? "keberatan ditolak, hasil tetap" : "hasil diubah"}`,
          o.decision.hasil_kerja ? `; hasil kerja ${o.decision.hasil_kerja}` : "", o.decision.perilaku_kerja ? `; perilaku kerja ${o.decision.perilaku_kerja}` : "",
          `. ${o.decision.reasons}`)
      : [el("p", { class: "muted" }, `Menunggu keputusan atasan pejabat penilai, paling lambat ${tanggal(o.decide_by)}.`),
        state.sub === o.reviewer_nip ? decisionForm(o, nip) : ""]);
  return [el("h3", {}, "Keberatan"),
    objections.length ? el("ul", { id: "objections" }, objections.map(item)) : el("p", { class: "muted", id: "objections" }, "Belum ada keberatan."),
    state.sub === nip ? objectionForm(nip, period) : ""];
}

function objectionForm(nip, period) {
  const key = crypto.randomUUID(); // one filing, however often the button is pressed
  return el("form", { class: "card", id: "objection-form", onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { period, reasons: ev.target.elements.reasons.value };
    try { await api(`/v1/employees/${nip}/objections`, { method: "POST", body: JSON.stringify(body), headers: { "Idempotency-Key": key } }); showPerson(nip, period); }
    catch (e) { ev.target.querySelector(".error").textContent = e.message; }
  } },
    el("h4", {}, `Ajukan keberatan atas hasil ${periodName(period)}`),
    el("p", { class: "muted" }, "Paling lambat 14 hari sejak hasil penilaian Anda terima; atasan pejabat penilai memutuskannya."),
    el("label", { for: "objection-reasons" }, "Alasan keberatan"),
    el("textarea", { id: "objection-reasons", name: "reasons", required: "", minlength: "10", rows: "3" }),
    el("button", { type: "submit" }, "Ajukan keberatan"), el("p", { class: "error", role: "alert" }));
}

function decisionForm(o, nip) {
  const choose = (name, label) => [el("label", { for: `${name}-${o.id}` }, label),
    el("select", { id: `${name}-${o.id}`, name }, el("option", { value: "" }, "— tidak diubah —"), RATINGS.map((r) => el("option", { value: r }, r)))];
  return el("form", { class: "card decision-form", onsubmit: async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const body = { outcome: f.outcome.value, reasons: f.reasons.value, hasil_kerja: f.hasil_kerja.value || null, perilaku_kerja: f.perilaku_kerja.value || null };
    try { await api(`/v1/objections/${o.id}/decision`, { method: "POST", body: JSON.stringify(body) }); showPerson(nip, state.view?.period); }
    catch (e) { ev.target.querySelector(".error").textContent = e.message; }
  } },
    el("h4", {}, "Putuskan keberatan (final)"),
    el("label", { for: `outcome-${o.id}` }, "Keputusan"),
    el("select", { id: `outcome-${o.id}`, name: "outcome" }, el("option", { value: "ditolak" }, "Ditolak: hasil tetap"), el("option", { value: "diubah" }, "Diubah: hasil baru")),
    choose("hasil_kerja", "Hasil kerja baru"), choose("perilaku_kerja", "Perilaku kerja baru"),
    el("label", { for: `decision-reasons-${o.id}` }, "Alasan keputusan"),
    el("textarea", { id: `decision-reasons-${o.id}`, name: "reasons", required: "", rows: "2" }),
    el("button", { type: "submit" }, "Simpan keputusan"), el("p", { class: "error", role: "alert" }));
}

function coachingForm(nip) {
  return el("form", { class: "card", id: "coaching-form", onsubmit: async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const body = { date: f.date.value, topics: f.topics.value.split(";").map((s) => s.trim()).filter(Boolean), follow_up: f.follow_up.value };
    try { await api(`/v1/employees/${nip}/coaching`, { method: "POST", body: JSON.stringify(body) }); showPerson(nip); }
    catch (e) { ev.target.querySelector(".error").textContent = e.message; }
  } },
    el("h4", {}, "Catat sesi bimbingan"),
    el("label", { for: "co-date" }, "Tanggal"), el("input", { id: "co-date", name: "date", type: "date", required: "" }),
    el("label", { for: "co-topics" }, "Topik (pisahkan dengan ;)"), el("input", { id: "co-topics", name: "topics", required: "" }),
    el("label", { for: "co-follow" }, "Tindak lanjut"), el("textarea", { id: "co-follow", name: "follow_up", required: "", rows: "2" }),
    el("button", { type: "submit" }, "Simpan sesi"), el("p", { class: "error", role: "alert" }));
}

function b18Form(session, statements, nip) {
  return el("form", { class: "card b18", onsubmit: async (ev) => {
    ev.preventDefault();
    const answers = statements.map((_, i) => ev.target.elements[`s${i}`].checked);
    try { await api(`/v1/coaching/${session.id}/employee-feedback`, { method: "POST", body: JSON.stringify({ answers, comment: ev.target.elements.comment.value }) }); showPerson(nip); }
    catch (e) { ev.target.querySelector(".error").textContent = e.message; }
  } },
    el("fieldset", {}, el("legend", {}, "Umpan balik bimbingan (Format B.1.8)"),
      statements.map((text, i) => el("div", {}, el("input", { type: "checkbox", id: `b18-${session.id}-${i}`, name: `s${i}` }),
        el("label", { for: `b18-${session.id}-${i}`, style: "display:inline; font-weight:normal" }, ` ${text}`)))),
    el("label", { for: `b18-c-${session.id}` }, "Catatan"), el("input", { id: `b18-c-${session.id}`, name: "comment" }),
    el("button", { type: "submit" }, "Kirim umpan balik bimbingan"), el("p", { class: "error", role: "alert" }));
}

function feedbackForm(nip) {
  const month = thisMonth();
  return el("form", { class: "card", id: "feedback-form", onsubmit: async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const body = { period: f.period.value, category: f.category.value, text: f.text.value,
                   improvements: f.improvements.value ? f.improvements.value.split(";").map((s) => s.trim()).filter(Boolean) : [],
                   actions: f.action.value ? [{ what: f.action.value, owner_nip: f.owner.value || nip, due: f.due.value }] : [] };
    try { await api(`/v1/employees/${nip}/feedback`, { method: "POST", body: JSON.stringify(body) }); showPerson(nip); }
    catch (e) { ev.target.querySelector(".error").textContent = e.message; }
  } },
    el("h3", {}, "Tulis umpan balik"),
    el("label", { for: "fb-period" }, "Periode"), el("input", { id: "fb-period", name: "period", value: month, required: "" }),
    el("label", { for: "fb-category" }, "Kategori"),
    el("select", { id: "fb-category", name: "category" },
      [["disiplin", "Disiplin"], ["pelayanan", "Pelayanan"], ["target", "Target"], ["perilaku", "Perilaku (BerAKHLAK)"]]
        .map(([v, t]) => el("option", { value: v }, t))),
    el("label", { for: "fb-text" }, "Umpan balik"), el("textarea", { id: "fb-text", name: "text", required: "", rows: "3" }),
    el("label", { for: "fb-improvements" }, "Perlu ditingkatkan (pisahkan dengan ;)"),
    el("input", { id: "fb-improvements", name: "improvements" }),
    el("fieldset", {}, el("legend", {}, "Tindak lanjut yang disepakati (mis. kebutuhan pelatihan)"),
      el("label", { for: "fb-action" }, "Tindakan"), el("input", { id: "fb-action", name: "action" }),
      el("label", { for: "fb-owner" }, "Penanggung jawab (NIP)"),
      el("input", { id: "fb-owner", name: "owner", inputmode: "numeric", pattern: "[0-9]{18}", value: nip }),
      el("label", { for: "fb-due" }, "Tenggat"), el("input", { id: "fb-due", name: "due", type: "date" })),
    el("button", { type: "submit" }, "Simpan umpan balik"), el("p", { class: "error", role: "alert" }));
}

function ratingForm(nip) {
  const month = thisMonth();
  return el("form", { class: "card", id: "rating-form", onsubmit: async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const body = { period: f.period.value, rating: f.rating.value, justification: f.justification.value };
    const out = ev.target.querySelector(".status");
    try { await api(`/v1/employees/${nip}/ratings`, { method: "POST", body: JSON.stringify(body) }); out.textContent = "Penilaian tersimpan."; out.className = "status ok"; }
    catch (e) { out.textContent = e.message; out.className = "status error"; }
  } },
    el("h3", {}, "Penilaian perilaku kerja"),
    el("label", { for: "rt-period" }, "Periode"), el("input", { id: "rt-period", name: "period", value: month, required: "" }),
    el("label", { for: "rt-rating" }, "Penilaian"),
    el("select", { id: "rt-rating", name: "rating" },
      ["Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"].map((v) => el("option", { value: v }, v))),
    el("label", { for: "rt-justification" }, "Alasan"),
    el("textarea", { id: "rt-justification", name: "justification", required: "", rows: "2" }),
    el("button", { type: "submit" }, "Simpan penilaian"), el("p", { class: "status", role: "status" }));
}

// A horizontal bar chart in SVG: a bar per label, its value at its end, a value axis with
// ticks under the bars, and a legend naming what the bars count.
function barChart(title, data, unit) {
  const entries = Object.entries(data || {});
  if (!entries.length) return el("figure", { class: "chart card" }, el("svg", { role: "img", "aria-label": `${title}: belum ada data` }),
    el("p", { class: "muted" }, "Belum ada data."), el("figcaption", {}, title));
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const w = 360, labelW = 170, barH = 22, span = w - labelW - 40, axisY = entries.length * (barH + 8) + 8, h = axisY + 34;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(svg.namespaceURI, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${title}: ${entries.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  entries.forEach(([label, value], i) => {
    const y = i * (barH + 8) + 5;
    add("rect", { x: labelW, y, height: barH, width: Math.max(2, (value / max) * span), fill: "#0b57d0" });
    add("text", { x: 0, y: y + 15 }, label.length > 26 ? `${label.slice(0, 25)}…` : label);
    add("text", { x: labelW + 6 + (value / max) * span, y: y + 15 }, value.toLocaleString("id-ID"));
  });
  add("line", { x1: labelW, y1: axisY, x2: labelW + span, y2: axisY, stroke: "#555" });
  for (const tick of [0, max / 2, max]) {
    const x = labelW + (tick / max) * span;
    add("line", { x1: x, y1: axisY, x2: x, y2: axisY + 4, stroke: "#555" });
    add("text", { x, y: axisY + 16, "text-anchor": "middle" }, (Math.round(tick * 10) / 10).toLocaleString("id-ID"));
  }
  add("text", { x: labelW + span / 2, y: axisY + 30, "text-anchor": "middle" }, unit);
  return el("figure", { class: "chart card" }, svg,
    el("figcaption", {}, title, " ", el("span", { class: "legend" }, el("span", { class: "swatch", "aria-hidden": "true" }), ` ${unit}`)));
}

async function showUnit(orgPredicate) {
  const draw = opening();
  draw("Unit kerja", el("p", { class: "muted", role: "status" }, "Memuat…"));
  const me = await api(`/v1/console/team?size=1`).catch(() => ({ members: [] }));
  const unit = me.me?.unit_code;
  if (!unit) { draw("Unit kerja", el("p", { class: "muted" }, "Tidak ada unit di bawah Anda.")); return; }
  try {
    const query = orgPredicate ? `?org_predicate=${encodeURIComponent(orgPredicate)}` : "";
    const u = await api(`/v1/console/units/${unit}${query}`);
    const desks = Object.fromEntries(Object.entries(u.desks || {}).map(([k, v]) => [k, v.converted]));
    const over = (key, names = {}) => Object.fromEntries(Object.entries(u.trend).flatMap(([month, t]) =>
      Object.entries(t[key]).map(([k, v]) => [`${names[k] || k}, ${monthName(month)}`, v])));
    const select = el("select", { id: "org-predicate", onchange: (ev) => showUnit(ev.target.value) },
      el("option", { value: "" }, "— pilih —"),
      ["Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"].map((v) =>
        el("option", v === orgPredicate ? { value: v, selected: "" } : { value: v }, v)));
    const dc = u.distribution_check;
    const verdict = !dc ? "" : !dc.applies ? `${dc.why} (${monthName(u.period)}).`
      : `${dc.problems.length ? dc.problems.join("; ") : "sesuai"} — ${dc.counted} predikat dihitung`
        + (dc.proposals_not_counted ? `, ${dc.proposals_not_counted} belum dinilai atasan tidak dihitung.` : ".");
    const check = dc
      ? el("p", { id: "distribution-check" }, `Pola predikat untuk predikat organisasi ${dc.org_predicate}: `, verdict)
      : el("p", { class: "muted", id: "distribution-check" }, "Pilih predikat organisasi unit untuk memeriksa sebaran.");
    draw(`Unit ${u.unit_code} — ${monthName(u.period)}`,
      el("p", {}, `${u.employees} pegawai · IKM unit: ${dash(u.ikm?.converted?.toLocaleString("id-ID"))} (${dash(u.ikm?.category)})`),
      el("label", { for: "org-predicate" }, "Predikat organisasi unit"), select, check,
      el("div", { class: "charts" },
        barChart("Sebaran predikat", u.predicates, "jumlah pegawai"),
        barChart("IKM per loket", desks, "nilai IKM (25–100)"),
        barChart("IKM per loket, tiga bulan terakhir", over("desks"), "nilai IKM (25–100)"),
        barChart("Tingkat disiplin, tiga bulan terakhir", over("discipline_levels", LEVEL_NAME), "jumlah pegawai"),
        barChart("Hal yang paling sering perlu ditingkatkan", Object.fromEntries(u.improvement_areas), "kali disebut")),
      el("h3", {}, "Tindak lanjut terbuka"),
      u.open_actions.length
        ? el("ul", { id: "open-actions" }, u.open_actions.map((a) => el("li", {}, `${tanggal(a.due)}: ${a.what} (${a.owner_nip})`)))
        : el("p", { id: "open-actions", class: "muted" }, "Belum ada tindak lanjut terbuka."));
  } catch (e) {
    draw("Unit kerja", el("p", { class: "error", role: "alert" }, e.message));
  }
}

// The stream opens with a one-minute ticket, never the sign-in token: a URL lands in access logs.
// EventSource reconnects with its URL, whose ticket may be gone by then, so on an error the
// console closes it and opens a new one with a new ticket.
async function openStream() {
  if (!state.config?.notifier_url || state.stream) return;
  $("#alerts").hidden = false;
  let ticket;
  try {
    const r = await fetch(`${state.config.notifier_url}/v1/stream/tickets`, {
      method: "POST", headers: { Authorization: `Bearer ${state.token}` } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    ({ ticket } = await r.json());
  } catch (e) {
    $("#stream-state").textContent = "Pemberitahuan langsung tidak tersedia; mencoba lagi…";
    setTimeout(openStream, 10000);
    return;
  }
  const source = new EventSource(`${state.config.notifier_url}/v1/stream?ticket=${encodeURIComponent(ticket)}`);
  state.stream = source;
  source.addEventListener("ready", () => { $("#stream-state").textContent = "Tersambung."; });
  source.addEventListener("figures", (ev) => liveFigures(JSON.parse(ev.data)));
  source.addEventListener("notification", (ev) => {
    const n = JSON.parse(ev.data);
    for (const notice of n.notices) {
      const ack = el("button", { type: "button", onclick: async () => {
        const comment = prompt("Catatan tanggapan", "") ?? "";
        const r = await fetch(`${state.config.notifier_url}/v1/alerts/${encodeURIComponent(notice.id)}/ack`, {
          method: "POST", headers: { Authorization: `Bearer ${state.token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ comment }) });
        ack.replaceWith(el("span", { class: r.ok ? "ok" : "error" }, r.ok ? "Ditanggapi" : "Gagal menanggapi"));
      } }, "Tanggapi");
      $("#alert-list").prepend(el("li", { class: "alert" }, el("strong", {}, notice.title), el("br"),
        `Pegawai ${notice.nip} · ${notice.period}`, el("br"), ack));
    }
  });
  source.onerror = () => {
    $("#stream-state").textContent = "Terputus; menyambung ulang…";
    source.close();
    state.stream = null;
    setTimeout(openStream, 3000);
  };
}

const HOLIDAY_KIND = { libur_nasional: "Libur nasional", cuti_bersama: "Cuti bersama" };

// The year's working calendar as scoring judges by it: the decree loaded, every holiday and
// cuti bersama, and how many days are closed; admins see at once whether the SKB is missing.
async function showCalendar(year = Number(thisMonth().slice(0, 4))) {
  const draw = opening();
  draw(`Kalender kerja ${year}`, el("p", { class: "muted", role: "status" }, "Memuat…"));
  try {
    const c = await api(`/v1/console/calendar/${year}`);
    const move = (delta, text) => el("button", { type: "button", onclick: () => showCalendar(year + delta) }, text);
    const status = c.loaded
      ? el("p", { id: "calendar-source" }, `Dimuat dari: ${c.source}`)
      : el("p", { class: "error", id: "calendar-source", role: "alert" },
          `Kalender ${year} belum dimuat. Hari-hari tahun ini ditahan dan belum dinilai sampai kalender dari SKB dimuat (POST /v1/admin/calendars).`);
    draw(`Kalender kerja ${year}`, el("p", {}, move(-1, `← ${year - 1}`), " ", move(1, `${year + 1} →`)), status,
      el("p", {}, `${c.holidays.length} hari libur dan cuti bersama · ${c.closed_days.length} hari sudah ditutup`),
      el("table", { id: "calendar" },
        el("thead", {}, el("tr", {}, ["Tanggal", "Keterangan", "Jenis"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, c.holidays.map((h) => el("tr", {},
          el("td", {}, new Date(`${h.date}T00:00:00+07:00`).toLocaleDateString("id-ID", { weekday: "long", day: "numeric", month: "long", timeZone: "Asia/Jakarta" })),
          el("td", {}, h.name), el("td", {}, HOLIDAY_KIND[h.kind] || h.kind))))));
  } catch (e) { draw("Kalender kerja", el("p", { class: "error", role: "alert" }, e.message)); }
}

// A file the console makes (recap, documents): fetched with the sign-in, then handed to the
// browser. A document names its verification code, which the status line repeats.
async function downloadFile(path, filename, out) {
  out.textContent = "Menyiapkan berkas…";
  try {
    const r = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || r.status);
    const link = el("a", { href: URL.createObjectURL(await r.blob()), download: filename });
    document.body.append(link); link.click(); link.remove();
    const code = r.headers.get("x-verification-code");
    out.textContent = `Berkas ${filename} diunduh.${code ? ` Kode verifikasinya ${code}.` : ""}`;
  } catch (e) { out.textContent = `Berkas belum dapat diunduh. ${e.message}`; }
}

// Payroll's file for a month: the TPP cut for discipline per OPD and employee, as XLSX or CSV.
const downloadRecap = (period, format, out) =>
  downloadFile(`/v1/console/tpp/recap?period=${period}&format=${format}`, `rekap-tpp-${period}.${format}`, out);

// Needs attention this week: who crossed a threshold in the last 30 days, who had no feedback
// this quarter, which agreed actions are past their due date; each with the reason.
async function showAttention() {
  const draw = opening();
  draw("Perlu perhatian", el("p", { class: "muted", role: "status" }, "Memuat…"));
  try {
    const a = await api("/v1/console/attention");
    const open = (nip, name) => el("button", { type: "button", class: "secondary", onclick: () => showPerson(nip) }, name);
    const list = (id, items, line, empty) => items.length
      ? el("ul", { id }, items.map((i) => el("li", {}, line(i))))
      : el("p", { id, class: "muted" }, empty);
    draw("Perlu perhatian",
      el("h3", {}, "Melewati ambang dalam 30 hari terakhir"),
      list("attention-crossed", a.crossed, (f) => [open(f.nip, f.name), ` ${f.reasons.join("; ")}`], "Tidak ada."),
      a.more_crossed ? el("p", { class: "muted" }, "Ditampilkan 500 yang terberat; lihat Tim saya untuk selebihnya.") : "",
      el("h3", {}, `Belum mendapat umpan balik sejak ${tanggal(a.quarter_start)}`),
      list("attention-quiet", a.no_feedback, (f) => [open(f.nip, f.name), ` ${f.reasons.join("; ")}`], "Semua sudah mendapat umpan balik triwulan ini."),
      a.no_feedback_total > a.no_feedback.length ? el("p", { class: "muted", id: "attention-quiet-more" }, `…dan ${(a.no_feedback_total - a.no_feedback.length).toLocaleString("id-ID")} orang lainnya.`) : "",
      el("h3", {}, "Tindak lanjut lewat tenggat"),
      list("attention-overdue", a.overdue, (o) => [open(o.nip, o.name), ` ${o.what}: tenggat ${tanggal(o.due)}, lewat ${o.days_late} hari. Tanyakan hasilnya.`], "Tidak ada tindak lanjut yang lewat tenggat."));
  } catch (e) { draw("Perlu perhatian", el("p", { class: "error" }, `Daftar belum dapat ditampilkan: ${e.message}`)); }
}

// The city at a glance (BKPSDM, the IT team): every unit's predicates against its
// organisational predicate, discipline and IKM; the machines gone silent; the year's lists.
const LEVEL_NAME = { none: "tanpa hukuman", ringan: "ringan", sedang: "sedang", berat: "berat" };
const counts = (o, names = {}) => Object.entries(o || {}).filter(([, v]) => v).map(([k, v]) => `${names[k] || k} ${v}`).join(" · ") || "—";

async function showCity(period = thisMonth()) {
  const draw = opening();
  draw("Kota", el("p", { class: "muted", role: "status" }, "Memuat…"));
  try {
    const c = await api(`/v1/console/city?period=${period}`);
    const months = [0, -1, -2].map((d) => monthMove(thisMonth(), d));
    const choose = select("city-month", "Bulan", months.map((m) => [m, monthName(m)]), period, (v) => showCity(v));
    const check = (u) => !u.distribution_check ? "belum ditetapkan"
      : `${u.distribution_check.org_predicate}${u.distribution_check.applies === false ? " (dinilai tahunan)" : (u.distribution_check.problems || []).length ? `: ${u.distribution_check.problems.join("; ")}` : ": sesuai pola"}`;
    const units = el("div", { class: "table-wrap" }, el("table", { id: "city-units" },
      el("thead", {}, el("tr", {}, ["Unit", "Pegawai", "Sebaran predikat", "Predikat organisasi", "Disiplin", "IKM"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, c.units.map((u) => el("tr", {}, el("td", {}, u.unit_code), el("td", {}, String(u.employees)), el("td", {}, counts(u.predicates)),
        el("td", {}, check(u)), el("td", {}, counts(u.discipline_levels, LEVEL_NAME)), el("td", {}, u.ikm ? `${u.ikm.converted?.toLocaleString("id-ID") ?? "—"} (${u.ikm.category ?? "belum final"})` : "—"))))));
    const m = c.machines;
    const machines = m.unavailable ? el("p", { class: "error", id: "city-machines" }, `Keadaan mesin presensi belum dapat ditampilkan: ${m.unavailable}`)
      : m.silent.length ? el("ul", { id: "city-machines" }, m.silent.map((d) => el("li", {}, `${d.serial} (${d.unit_code}): ${d.last_seen ? `terakhir terhubung ${waktu(d.last_seen)}` : "belum pernah terhubung"}`)))
      : el("p", { id: "city-machines", class: "ok" }, `Semua ${m.total} mesin presensi terhubung.`);
    draw("Kota", choose, state.roles.includes("admin") ? findPerson() : "",
      el("h3", {}, `Unit kerja, ${monthName(c.period)}`), units,
      el("h3", {}, "Mesin presensi yang diam"), machines,
      state.roles.includes("admin") ? await outcomesView(Number(period.slice(0, 4))) : "");
  } catch (e) { draw("Kota", el("p", { class: "error" }, `Gambaran kota belum dapat ditampilkan: ${e.message}`)); }
}

// BKPSDM opens anyone's page by NIP (to read it, print it, or correct a punch).
function findPerson() {
  const nip = el("input", { id: "find-nip", inputmode: "numeric", pattern: "[0-9]{18}", required: "" });
  return el("form", { class: "find", onsubmit: (ev) => { ev.preventDefault(); showPerson(nip.value.trim()); } },
    el("label", { for: "find-nip" }, "Buka halaman pegawai (NIP) "), nip,
    el("button", { type: "submit", class: "secondary" }, "Buka"));
}

async function outcomesView(year) {
  const o = await api(`/v1/console/outcomes?year=${year}`).catch((e) => ({ error: e.message }));
  const out = el("p", { id: "outcomes-status", role: "status" });
  const get = (format) => el("button", { type: "button", class: "secondary",
    onclick: () => downloadFile(`/v1/console/outcomes?year=${year}&format=${format}`, `hasil-kinerja-${year}.${format}`, out) }, `Unduh ${format.toUpperCase()}`);
  const list = (id, items, empty) => items.length
    ? el("ul", { id }, items.map((e) => el("li", {}, `${e.name || e.nip} (${e.unit_code || "—"}, ${e.predikat || "belum ada"}): ${e.reasons.join("; ")}`)))
    : el("p", { id, class: "muted" }, empty);
  if (o.error) return el("p", { class: "error" }, `Daftar tahun ${year} belum dapat ditampilkan: ${o.error}`);
  return el("section", {}, el("h3", {}, `Calon penghargaan dan daftar pembinaan ${year}`),
    el("h4", {}, "Calon penghargaan"), list("outcomes-recognition", o.recognition, "Belum ada calon."),
    el("h4", {}, "Perlu pembinaan"), list("outcomes-coaching", o.coaching, "Tidak ada."),
    el("p", {}, get("xlsx"), " ", get("csv")), out);
}

// How the rules work, with the city's own figures (scoring makes the page from its policy file).
async function showGuide() {
  const draw = opening();
  draw("Cara penilaian", el("p", { class: "muted", role: "status" }, "Memuat…"));
  try {
    const g = await api("/v1/console/guide");
    const table = (rows) => rows.length ? el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, rows[0].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.slice(1).map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))))) : "";
    draw("Cara penilaian",
      el("p", {}, `Aturan penilaian ${g.government}, kebijakan versi ${g.policy_version}. Halaman ini dibuat dari berkas kebijakan yang dipakai untuk menilai, jadi angkanya selalu sama dengan yang berlaku.`),
      g.bagian.map((b) => el("section", { class: "card guide" }, el("h3", {}, b.judul), b.kalimat.map((k) => el("p", {}, k)), table(b.tabel))));
  } catch (e) { draw("Cara penilaian", el("p", { class: "error" }, `Aturan belum dapat ditampilkan: ${e.message}`)); }
}

// Anyone holding a printed document checks its code: the answer says whose it is and whether
// the figures are still those printed.
function showVerify() {
  const draw = opening();
  const out = el("div", { id: "verify-result", role: "status" });
  const form = el("form", { class: "card", id: "verify-form", onsubmit: async (ev) => {
    ev.preventDefault();
    out.replaceChildren(el("p", { class: "muted" }, "Memeriksa…"));
    try {
      const v = await api(`/v1/console/documents/${encodeURIComponent(ev.target.elements.code.value.trim())}`);
      out.replaceChildren(el("p", { class: v.matches ? "ok" : "warn" }, v.kalimat),
        el("p", { class: "muted" }, `Kode ${v.code} · diterbitkan ${waktu(v.issued_at)} · ${v.version}`));
    } catch (e) { out.replaceChildren(el("p", { class: "error" }, `Tidak dapat diperiksa: ${e.message}`)); }
  } },
    el("label", { for: "verify-code" }, "Kode verifikasi (tertera di kaki dokumen)"),
    el("input", { id: "verify-code", name: "code", required: "", placeholder: "EV-XXXX-XXXX-XXXX-XXXX", autocomplete: "off" }),
    el("button", { type: "submit" }, "Periksa"));
  draw("Periksa dokumen", el("p", {}, "Dokumen evaluasi kinerja dan catatan bimbingan (Format B.1.8) memuat kode verifikasi. Masukkan kodenya untuk memastikan dokumen itu asli dan angkanya masih berlaku."), form, out);
}

function showRecap() {
  const draw = opening();
  const months = [0, -1, -2].map((d) => monthMove(thisMonth(), d));
  const out = el("p", { id: "recap-status", role: "status" });
  const choose = select("recap-month", "Bulan", months.map((m) => [m, monthName(m)]), months[1], () => {});
  const get = (format, text) => el("button", { type: "button", onclick: () => downloadRecap($("#recap-month").value, format, out) }, text);
  draw("Rekap potongan TPP", el("p", {}, "Potongan TPP karena disiplin per OPD dan pegawai, berkas untuk pengolahan gaji. Angkanya sama dengan halaman tiap pegawai."),
    choose, el("p", {}, get("xlsx", "Unduh XLSX"), " ", get("csv", "Unduh CSV")), out);
}

async function start() {
  state.config = await api("/v1/console/config").catch(() => ({}));
  $("#dev-sign-in").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    try {
      const { token } = await api("/v1/console/dev-sign-in", { method: "POST", body: JSON.stringify({ nip: f.nip.value, role: f.role.value }) });
      signedIn(token);
    } catch (e) { $("#sign-in-error").textContent = e.message; }
  });
  $("#nav").addEventListener("click", (ev) => {
    const target = ev.target.closest("button[data-view]");
    if (!target) return;
    const show = { mine: () => showPerson(state.sub), team: () => showTeam(), unit: () => showUnit(""), calendar: () => showCalendar(), recap: () => showRecap(), verify: () => showVerify(), guide: () => showGuide(), attention: () => showAttention(), city: () => showCity() };
    show[target.dataset.view]();
  });
  $("#sign-out").addEventListener("click", () => { sessionStorage.removeItem("kinerja.token"); location.reload(); });
  if (state.token) signedIn(state.token);
}

start();
