//! Read arbitrary text as a roster, both as `roe roster --import` and the
//! service's `PUT /v1/admin/roster` read it: CSV to JSON, then JSON to a
//! roster, and the roster asked who is away and their ids. Never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let as_csv = roe::assign::roster::csv_as_json(text);
    for json in [Some(text.to_owned()), as_csv.ok()].into_iter().flatten() {
        if let Ok(roster) = roe::assign::Roster::read(&json) {
            let _ = roster.is_away("ana@acme.example", jiff::Timestamp::UNIX_EPOCH);
            let _ = roster.user_id("ana@acme.example");
            let _ = roster.len();
        }
    }
});
