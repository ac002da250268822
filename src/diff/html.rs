//! The diff as one self-contained HTML page, for people who never read the
//! policy: the count, who gains and who loses (a heatmap of owner moves,
//! drawn as inline SVG), each rule before and after, SLOs and errors, and
//! the changed records with a filter. No network, no scripts from
//! elsewhere: it opens from disk and as a mail attachment. The numbers
//! carry `data-` attributes, so a test can read them back from the page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Change, Summary, share};

/// How many changed records the page lists (the JSON output lists all).
pub const ROWS: usize = 2_000;

/// `text` safe inside HTML text and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2430}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}.lead{font-size:1.25rem}\
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #e3e6ea;text-align:left}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.gain{color:#17663a}.loss{color:#a3261b}\
input{font:inherit;padding:.3rem .5rem;width:20rem}.texts{display:flex;gap:1rem}.texts>div{flex:1;min-width:0}\
pre{background:#f6f8fa;padding:.5rem;overflow:auto}h3{font-size:.95rem;margin:.5rem 0 .2rem}code{background:#f3f4f6;padding:0 .2rem}";

const SCRIPT: &str = "document.getElementById('filter').addEventListener('input',function(e){\
var q=e.target.value.toLowerCase();var rows=document.querySelectorAll('#changes tbody tr');var shown=0;\
rows.forEach(function(r){var hit=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=hit?'':'none';if(hit)shown++;});\
document.getElementById('shown').textContent=shown;});";

/// Each version's rule texts, by name (`None`: a stripped `.roec`).
pub type Texts = (
    Option<BTreeMap<String, String>>,
    Option<BTreeMap<String, String>>,
);

/// The page for `summary` (finished) and up to [`ROWS`] of its `changes`,
/// comparing policy `old` with `new` (their names as given), with the rule
/// texts of each.
pub fn page(summary: &Summary, changes: &[Change], old: &str, new: &str, texts: &Texts) -> String {
    let mut out = String::new();
    let title = format!("roe diff: {old} → {new}");
    let _ = writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = writeln!(
        out,
        "<h1>What changes from <code>{}</code> to <code>{}</code></h1>\n<p class=\"lead\"><strong id=\"changed\" data-value=\"{}\">{}</strong> of <span id=\"records\" data-value=\"{}\">{}</span> records change decision ({}).</p>",
        esc(old),
        esc(new),
        summary.changed,
        summary.changed,
        summary.records,
        summary.records,
        share(summary.changed, summary.records)
    );
    owners(&mut out, summary);
    rules(&mut out, summary);
    changed_texts(&mut out, texts);
    slos_and_errors(&mut out, summary);
    assignees(&mut out, summary);
    records(&mut out, summary, changes);
    let _ = writeln!(
        out,
        "<p><small>Made by <code>roe diff</code>. Every changed record is in <code>roe diff ... --format json</code>.</small></p>\n<script>{SCRIPT}</script>\n</body></html>"
    );
    out
}

/// Who gains and who loses: the heatmap of moves, and the net per owner.
fn owners(out: &mut String, summary: &Summary) {
    out.push_str("<h2>Who gains and who loses records</h2>\n");
    let moves = summary.moves_largest_first();
    if moves.is_empty() {
        out.push_str("<p id=\"no-moves\">No record changes owner.</p>\n");
        return;
    }
    let mut from: Vec<&str> = moves.iter().map(|m| m.0).collect();
    let mut to: Vec<&str> = moves.iter().map(|m| m.1).collect();
    from.sort_unstable();
    from.dedup();
    to.sort_unstable();
    to.dedup();
    let most = moves.iter().map(|m| m.2).max().unwrap_or(1).max(1);
    let (cell, label) = (64usize, 190usize);
    let (width, height) = (label + cell * to.len(), 40 + cell * from.len());
    let _ = writeln!(
        out,
        "<svg id=\"moves\" role=\"img\" aria-label=\"owner moves\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">"
    );
    for (c, name) in to.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"30\" text-anchor=\"middle\">to {}</text>",
            label + c * cell + cell / 2,
            esc(name)
        );
    }
    for (r, name) in from.iter().enumerate() {
        let y = 40 + r * cell;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">from {}</text>",
            label - 8,
            y + cell / 2 + 4,
            esc(name)
        );
        for (c, target) in to.iter().enumerate() {
            let n = summary
                .moves
                .get(&((*name).to_owned(), (*target).to_owned()))
                .copied()
                .unwrap_or(0);
            let strength = n as f64 / most as f64;
            let _ = writeln!(
                out,
                "<g class=\"move\" data-from=\"{}\" data-to=\"{}\" data-records=\"{n}\"><rect x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"rgb(36,99,235)\" fill-opacity=\"{:.3}\" stroke=\"#e3e6ea\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
                esc(name),
                esc(target),
                label + c * cell,
                cell,
                cell,
                0.08 + 0.8 * strength,
                label + c * cell + cell / 2,
                y + cell / 2 + 4,
                if n > 0 { n.to_string() } else { String::new() }
            );
        }
    }
    out.push_str("</svg>\n");
    let mut net: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (from, to, n) in &moves {
        net.entry(from).or_default().1 += n;
        net.entry(to).or_default().0 += n;
    }
    out.push_str("<table id=\"net\"><thead><tr><th>owner</th><th class=\"n\">gains</th><th class=\"n\">loses</th><th class=\"n\">net</th></tr></thead><tbody>\n");
    for (owner, (gains, loses)) in &net {
        let net = *gains as i64 - *loses as i64;
        let class = if net >= 0 { "gain" } else { "loss" };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{gains}</td><td class=\"n\">{loses}</td><td class=\"n {class}\">{net:+}</td></tr>",
            esc(owner)
        );
    }
    out.push_str("</tbody></table>\n");
}

/// Each rule of either version: records decided before and after, and how
/// many of them changed.
fn rules(out: &mut String, summary: &Summary) {
    out.push_str("<h2>Rules</h2>\n<table id=\"rules\"><thead><tr><th>rule</th><th class=\"n\">decided before</th><th class=\"n\">decided after</th><th class=\"n\">of them changed, before / after</th><th></th></tr></thead><tbody>\n");
    let mut names: Vec<&String> = summary
        .old_rules
        .keys()
        .chain(summary.new_rules.keys())
        .collect();
    names.sort();
    names.dedup();
    let most = summary
        .old_rules
        .values()
        .chain(summary.new_rules.values())
        .map(|c| c.decided)
        .max()
        .unwrap_or(1)
        .max(1);
    for name in names {
        let before = summary.old_rules.get(name).map_or(0, |c| c.decided);
        let after = summary.new_rules.get(name).map_or(0, |c| c.decided);
        let changed =
            |rules: &BTreeMap<String, super::RuleCount>| rules.get(name).map_or(0, |c| c.changed);
        let (changed_before, changed_after) =
            (changed(&summary.old_rules), changed(&summary.new_rules));
        let bar = |n: u64| n * 160 / most;
        let _ = writeln!(
            out,
            "<tr data-rule=\"{}\"><td>{}</td><td class=\"n\">{before}</td><td class=\"n\">{after}</td><td class=\"n\">{changed_before} / {changed_after}</td><td><svg width=\"170\" height=\"18\" role=\"img\" aria-label=\"before and after\"><rect y=\"1\" height=\"7\" width=\"{}\" fill=\"#9aa5b1\"/><rect y=\"10\" height=\"7\" width=\"{}\" fill=\"#2463eb\"/></svg></td></tr>",
            esc(name),
            esc(name),
            bar(before),
            bar(after)
        );
    }
    out.push_str("</tbody></table>\n<p><small>Grey: before; blue: after.</small></p>\n");
    for (from, to, n) in &summary.renamed {
        let _ = writeln!(
            out,
            "<p class=\"renamed\">Renamed: <code>{}</code> is now <code>{}</code> ({n} records, the same decisions).</p>",
            esc(from),
            esc(to)
        );
    }
}

/// The rules whose text differs, side by side.
fn changed_texts(out: &mut String, (old, new): &Texts) {
    out.push_str("<h2>Rules as written, where they differ</h2>\n");
    let (Some(old), Some(new)) = (old, new) else {
        out.push_str("<p id=\"no-texts\">A stripped <code>.roec</code> keeps no rule text to show: compare the sources, or build without <code>--strip</code>.</p>\n");
        return;
    };
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    let mut any = false;
    for name in names {
        let (before, after) = (old.get(name), new.get(name));
        if before == after {
            continue;
        }
        any = true;
        let show = |text: Option<&String>| match text {
            Some(text) => format!("<pre>{}</pre>", esc(text)),
            None => "<p><em>not in this version</em></p>".to_owned(),
        };
        let _ = writeln!(
            out,
            "<div class=\"texts\" data-rule=\"{}\"><div><h3>before</h3>{}</div><div><h3>after</h3>{}</div></div>",
            esc(name),
            show(before),
            show(after)
        );
    }
    if !any {
        out.push_str("<p>Every rule reads as it did.</p>\n");
    }
}

/// SLOs due sooner or later, and errors that appear or disappear.
fn slos_and_errors(out: &mut String, summary: &Summary) {
    let _ = writeln!(
        out,
        "<h2>Response times and errors</h2>\n<p>SLOs due sooner: <span id=\"slo-tightened\" data-value=\"{0}\">{0}</span>; due later: <span id=\"slo-loosened\" data-value=\"{1}\">{1}</span>.</p>",
        summary.slo_tightened, summary.slo_loosened
    );
    for (title, errors) in [
        ("Errors that appear", &summary.errors_appeared),
        ("Errors that disappear", &summary.errors_disappeared),
    ] {
        if !errors.is_empty() {
            let listed: Vec<String> = errors
                .iter()
                .map(|(code, n)| format!("<code>{}</code> {n}", esc(code)))
                .collect();
            let _ = writeln!(out, "<p>{title}: {}.</p>", listed.join(", "));
        }
    }
}

/// With assignment on, the records each member takes before and after.
fn assignees(out: &mut String, summary: &Summary) {
    if summary.assignees.is_empty() {
        return;
    }
    out.push_str("<h2>People</h2>\n<table id=\"assignees\"><thead><tr><th>member</th><th class=\"n\">assigned before</th><th class=\"n\">after</th></tr></thead><tbody>\n");
    for (member, (before, after)) in &summary.assignees {
        let _ = writeln!(
            out,
            "<tr data-member=\"{}\" data-before=\"{before}\" data-after=\"{after}\"><td>{}</td><td class=\"n\">{before}</td><td class=\"n\">{after}</td></tr>",
            esc(member),
            esc(member)
        );
    }
    out.push_str("</tbody></table>\n");
}

/// The changed records, with a filter.
fn records(out: &mut String, summary: &Summary, changes: &[Change]) {
    let listed = changes.len().min(ROWS);
    let _ = write!(
        out,
        "<h2>Changed records</h2>\n<p><input id=\"filter\" type=\"search\" placeholder=\"filter: an id, a team, a rule\" aria-label=\"filter\"> <span id=\"shown\">{listed}</span> shown"
    );
    if (summary.changed as usize) > listed {
        let _ = write!(out, " (the first {listed} of {})", summary.changed);
    }
    out.push_str(".</p>\n<table id=\"changes\"><thead><tr><th class=\"n\">record</th><th>id</th><th>what</th><th>rule before → after</th><th>owner before → after</th></tr></thead><tbody>\n");
    for change in changes.iter().take(listed) {
        let id = change.id.as_ref().map_or(String::new(), |id| {
            serde_json::from_str::<String>(id.json()).unwrap_or_else(|_| id.json().to_owned())
        });
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{} → {}</td></tr>",
            change.index,
            esc(&id),
            esc(&change.what.names().join(", ")),
            esc(&change.rules.0),
            esc(&change.rules.1),
            esc(&change.owners.0),
            esc(&change.owners.1)
        );
    }
    out.push_str("</tbody></table>\n");
}
