//! Time: business calendars and the arithmetic of business time, in a
//! calendar's own time zone, daylight-saving transitions included; and
//! instants and dates as RFC 3339 text, with the range roe supports, and in
//! the formats a field declares.

pub mod calendar;
pub mod formats;
pub mod rfc3339;

pub use calendar::{Calendar, CalendarSpec};

/// The longest business duration a policy may hold, in business hours or days:
/// the checker rejects longer ones and the verifier refuses them in a `.roec`.
pub const MAX_BUSINESS_AMOUNT: i64 = 10_000;
