//! Unit tests of the checker: the subtle parts (narrowing, variants by
//! context, cycles, widening), each with a policy that must pass or fail.

use crate::compile_source;

fn codes(body: &str) -> Vec<&'static str> {
    codes_for("lead", body)
}

/// The codes of `body` in a policy for `subject` (a record of `use crm`).
fn codes_for(subject: &str, body: &str) -> Vec<&'static str> {
    let text =
        format!("policy p for {subject}\nuse crm\nteam sales members \"s@acme.example\"\n{body}\n");
    compile_source("test.roe", &text)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

fn clean(body: &str) {
    assert_eq!(codes(body), Vec::<&str>::new(), "{body}");
}

#[test]
fn narrowing_flows_through_and_into_then() {
    clean("rule r when employees is set and employees >= 200 then tag \"big\"");
    clean("rule r when owner is set then assign to owner");
    assert_eq!(
        codes("rule r when employees >= 200 then tag \"big\""),
        ["E2010"]
    );
    assert_eq!(
        codes("rule r when score > 1 then assign to owner"),
        ["E2010"]
    );
}

#[test]
fn narrowing_through_nested_records() {
    clean("rule r when account is set and account.type = customer then assign to account.owner");
    clean("rule r when account.csm is set then assign to account.csm");
    assert_eq!(
        codes("rule r when account.type = customer then tag \"c\""),
        ["E2010"]
    );
    assert_eq!(
        codes("rule r when account is set then assign to account.csm"),
        ["E2010"]
    );
}

#[test]
fn narrowing_into_the_right_of_or_after_is_not_set() {
    clean("rule r when employees is not set or employees <= 1000 then tag \"small\"");
    clean("rule r when not (employees is set) or employees <= 1000 then tag \"small\"");
    assert_eq!(
        codes("rule r when employees is set or employees <= 1000 then tag \"x\""),
        ["E2010"]
    );
    // `or` proves nothing for the actions unless both sides do.
    assert_eq!(
        codes("rule r when owner is set or score > 1 then assign to owner"),
        ["E2010"]
    );
    clean(
        "rule r when (owner is set and score > 1) or (owner is set and score < 0) then assign to owner",
    );
}

#[test]
fn narrowing_does_not_look_inside_lets() {
    assert_eq!(
        codes(
            "let has_size = employees is set\nrule r when has_size and employees > 5 then tag \"x\""
        ),
        ["E2010"]
    );
}

#[test]
fn variants_resolve_by_the_other_side() {
    clean("rule r when segment = strategic then tag \"s\"");
    clean("rule r when strategic = segment then tag \"s\"");
    clean("rule r when source in [partner, referral] then tag \"p\"");
    clean("rule r when segment != smb then set status to mql");
    assert_eq!(
        codes("rule r when segment = strategc then tag \"s\""),
        ["E1004"]
    );
    assert_eq!(
        codes("rule r when segment = \"smb\" then tag \"s\""),
        ["E2002"]
    );
}

#[test]
fn a_variant_wins_over_a_field_of_the_same_name() {
    let text = "policy p for opportunity\nuse crm\nrule r when source = partner then tag \"p\"\nrule s when opportunity.partner is set then tag \"q\"";
    let diagnostics = compile_source("test.roe", text).diagnostics;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

/// The two sides of `=`, `!=` and `in` read a bare name alike: `partner` is
/// the `lead_source` variant on the left as on the right (LANGUAGE.md §4).
#[test]
fn a_variant_on_the_left_reads_as_on_the_right() {
    let opportunity = |condition: &str| {
        codes_for(
            "opportunity",
            &format!("rule r when {condition} then tag \"p\""),
        )
    };
    for condition in [
        "source = partner",
        "partner = source",
        "partner != source",
        "source in [partner, web]",
        "partner in [web, referral]",
        "partner not in [web, referral]",
    ] {
        assert_eq!(opportunity(condition), Vec::<&str>::new(), "{condition}");
    }
    // Where the other side is no enum, the name is the field, on either side.
    assert_eq!(opportunity("partner = \"acme\""), ["E2010"]);
    assert_eq!(opportunity("\"acme\" = partner"), ["E2010"]);
    assert_eq!(opportunity("partner in [\"acme\"]"), ["E2010"]);
}

#[test]
fn names_that_shadow_fields_or_variants_are_refused() {
    assert_eq!(
        codes("const score = 5\nrule r when true then tag \"x\""),
        ["E1009"]
    );
    assert_eq!(
        codes("let customer = true\nrule r when customer then tag \"x\""),
        ["E1009"]
    );
}

#[test]
fn let_cycles_are_reported_once_with_the_chain() {
    let text =
        "policy p for lead\nuse crm\nlet a = b\nlet b = c\nlet c = a\nrule r when a then tag \"x\"";
    let c = compile_source("test.roe", text);
    let cycles: Vec<_> = c.diagnostics.iter().filter(|d| d.code == "E1008").collect();
    assert_eq!(cycles.len(), 1, "{:?}", c.diagnostics);
    assert!(
        cycles[0].labels[0].message.contains("a → b → c → a"),
        "{:?}",
        cycles[0].labels
    );
}

#[test]
fn ints_widen_to_numbers_but_not_back() {
    let text = "policy p for opportunity\nuse crm\nrule r when amount >= 100_000 and stage * 2 > amount / 10 then tag \"x\"";
    assert!(compile_source("t.roe", text).diagnostics.is_empty());
    let text = "policy p for opportunity\nuse crm\nrule r when amount > 1 then set stage to amount";
    let codes: Vec<_> = compile_source("t.roe", text)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["E2001"]);
}

#[test]
fn time_and_duration_arithmetic() {
    clean("rule r when now - created_at > 2d and created_at + 1w > now then tag \"x\"");
    assert_eq!(
        codes("rule r when now - created_at > 5 then tag \"x\""),
        ["E2002"]
    );
}

#[test]
fn weights_must_add_up_to_one_hundred() {
    clean("team w assign weighted \"a@x\" 60%, \"b@x\" 40%\nrule r when true then hand off to w");
    assert_eq!(
        codes(
            "team w assign weighted \"a@x\" 60%, \"b@x\" 30%\nrule r when true then hand off to w"
        ),
        ["E2013"]
    );
}

#[test]
fn constants_cannot_read_the_record() {
    assert_eq!(
        codes("const c = score + 1\nrule r when true then tag \"x\""),
        ["E2015"]
    );
    clean(
        "const c = [\"DE\", \"FR\"]\nconst d = 2 * 3\nrule r when country in c and score > d then tag \"x\"",
    );
}

#[test]
fn within_belongs_to_a_hand_off_or_assignment() {
    clean("rule r when true then hand off to sales within 4h tag \"x\"");
    assert_eq!(
        codes("rule r when true then tag \"x\" within 4h"),
        ["E2014"]
    );
    assert_eq!(
        codes("rule r when true then hand off to sales within 4h within 2h"),
        ["E2014"]
    );
}

#[test]
fn independent_errors_are_all_reported() {
    let found = codes(
        "rule a when scroe > 1 then tag \"x\"\nrule b when segment = strategc then hand off to slaes",
    );
    assert_eq!(found, ["E1003", "E1004", "E1005"]);
}

#[test]
fn an_optional_let_is_narrowed_by_name() {
    clean(
        "let csm_email = account.csm\nrule r when csm_email is set and csm_email ends with \"@acme.example\" then assign to csm_email",
    );
    assert_eq!(
        codes("let csm_email = account.csm\nrule r when true then assign to csm_email"),
        ["E2010"]
    );
}

#[test]
fn a_variant_of_one_enum_needs_no_context() {
    clean("const events = [webinar, event]\nrule r when source in events then tag \"e\"");
    clean("rule r when [web, paid] contains source then tag \"w\"");
    // `partner` is a variant of two enums: without context it is ambiguous.
    assert_eq!(
        codes("const p = [partner]\nrule r when true then tag \"x\""),
        ["E1001"]
    );
    // With context, the context decides, and a wrong variant is named as such.
    assert_eq!(
        codes("rule r when status = customer then tag \"x\""),
        ["E1004"]
    );
}

#[test]
fn whole_records_do_not_compare() {
    assert_eq!(
        codes("rule r when account is set and account = account then tag \"x\""),
        ["E2002"]
    );
}

#[test]
fn setting_a_nested_field_needs_its_record() {
    assert_eq!(
        codes("rule r when true then set account.owner to \"o@acme.example\""),
        ["E2010"]
    );
    clean("rule r when account is set then set account.owner to \"o@acme.example\"");
}

#[test]
fn names_that_belong_to_something_else_are_refused() {
    assert_eq!(codes("rule otherwise when true then tag \"x\""), ["E1007"]);
}

#[test]
fn a_const_may_share_its_name_with_a_team() {
    // Names are unique per kind (LANGUAGE.md §3).
    clean("const sales = \"x\"\nrule r when true then notify sales tag sales");
}

#[test]
fn a_keyword_that_names_no_team_is_no_target() {
    // Not a field either: fields named by keywords are read through a dot.
    assert_eq!(codes("rule r when true then notify match"), ["E1005"]);
}

#[test]
fn a_team_named_by_a_keyword_can_be_told() {
    clean(
        "team match members \"m@acme.example\"\nteam rule members \"r@acme.example\"\n\
         rule r when true then hand off to match escalate to match after 2h notify rule",
    );
    // `now` begins an expression: a time, which is no team, person or channel.
    assert_eq!(
        codes("team now members \"n@acme.example\"\nrule r when true then notify now"),
        ["E2001"]
    );
}

#[test]
fn calendars_are_checked_clause_by_clause() {
    clean(
        "calendar c timezone \"Europe/Berlin\" open mon-fri 09:00-12:00, 13:00-17:30 closed 2026-12-24 to 2026-12-26\nrule r when true then tag \"x\"",
    );
    assert_eq!(
        codes(
            "calendar c timezone \"Europe/Berln\" open mon-fri 09:00-17:30\nrule r when true then tag \"x\""
        ),
        ["E2019"]
    );
    assert_eq!(
        codes("calendar c open mon-fri 09:00-12:00, 11:00-17:30\nrule r when true then tag \"x\""),
        ["E2019"]
    );
    assert_eq!(
        codes("calendar c open fri-mon 09:00-17:30\nrule r when true then tag \"x\""),
        ["E2019"]
    );
    assert_eq!(
        codes("calendar c timezone \"UTC\"\nrule r when true then tag \"x\""),
        ["E2019"]
    );
}

#[test]
fn business_time_finds_its_calendar() {
    let calendar = "calendar office timezone \"Europe/Berlin\" open mon-fri 09:00-17:30\n";
    // Named with `in`.
    clean(&format!(
        "{calendar}rule r when true then hand off to sales within 4 business hours in office"
    ));
    // The hand-off team's working hours, also for the escalation of that rule.
    clean(&format!(
        "{calendar}team desk members \"d@acme.example\" working hours office\nrule r when true then hand off to desk within 1 business day escalate to sales after 2 business days"
    ));
    // None in reach.
    assert_eq!(
        codes(&format!(
            "{calendar}rule r when true then hand off to sales within 4 business hours"
        )),
        ["E2020"]
    );
    assert_eq!(
        codes("rule r when true then hand off to sales within 4 business hours in nowhere"),
        ["E1006"]
    );
}

#[test]
fn the_policy_can_set_working_hours_for_all_its_rules() {
    let text = "policy p for lead\n  first match\n  working hours office\nuse crm\ncalendar office open mon-fri 09:00-17:00\nrule r when true then assign to \"a@acme.example\" within 2 business days";
    let compilation = compile_source("test.roe", text);
    assert!(
        compilation.diagnostics.is_empty(),
        "{:?}",
        compilation.diagnostics
    );
}

#[test]
fn calendar_functions_are_typed() {
    let calendar = "calendar office timezone \"Europe/Berlin\" open mon-fri 09:00-17:30\n";
    clean(&format!(
        "{calendar}rule r when not is_open(office) and local_time(created_at, office).hour >= 18 and local_time(now, office).weekday != \"sat\" and business_hours_between(created_at, now, office) > 2.5 then tag \"x\""
    ));
    assert_eq!(
        codes(&format!(
            "{calendar}rule r when local_time(created_at, office) > 1 then tag \"x\""
        )),
        ["E2003"]
    );
    assert_eq!(
        codes(&format!(
            "{calendar}rule r when business_hours_between(score, now, office) > 1 then tag \"x\""
        )),
        ["E2001"]
    );
    assert_eq!(
        codes(&format!(
            "{calendar}const c = is_open(office)\nrule r when c then tag \"x\""
        )),
        ["E2015"]
    );
}

#[test]
fn teams_list_each_person_once_and_queues_assign_nobody() {
    assert_eq!(
        codes("team t members \"a@x\", \"a@x\"\nrule r when true then hand off to t"),
        ["E2019"]
    );
    assert_eq!(
        codes(
            "team t assign weighted \"a@x\" 50%, \"a@x\" 50%\nrule r when true then hand off to t"
        ),
        ["E2019"]
    );
    assert_eq!(
        codes("team t queue queue\nrule r when true then hand off to t"),
        ["E2019"]
    );
    assert_eq!(
        codes("team t queue assign round robin\nrule r when true then hand off to t"),
        ["E2019"]
    );
}

#[test]
fn a_shared_variant_takes_the_enum_of_the_rest_of_the_list() {
    clean("const sources = [partner, referral]\nrule r when source in sources then tag \"x\"");
    clean("const sources = [referral, partner]\nrule r when source in sources then tag \"x\"");
}

#[test]
fn a_broken_fixture_is_reported_once_however_many_tests_use_it() {
    let found = codes(
        "rule r when true then tag \"x\"\nfixture f = { id: \"T\" }\ntest \"a\" given f expect rule r\ntest \"b\" given f with { score: 1 } expect rule r",
    );
    assert_eq!(found, ["E2018"]);
}
