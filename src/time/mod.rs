//! Time: business calendars and the arithmetic of business time, in a
//! calendar's own time zone, daylight-saving transitions included.

pub mod calendar;

pub use calendar::{Calendar, CalendarSpec};
