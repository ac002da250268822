//! Read arbitrary text as a roster, as `roe roster --import` and the
//! service's `PUT /v1/admin/roster` read it (`Roster::import`, as JSON and
//! as CSV), and ask the roster who is away and their ids. Never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for csv in [false, true] {
        if let Ok((_, roster)) = roe::assign::Roster::import(text, csv) {
            let _ = roster.is_away("ana@acme.example", jiff::Timestamp::UNIX_EPOCH);
            let _ = roster.user_id("ana@acme.example");
            let _ = roster.len();
        }
    }
});
