//! Deterministic workloads shared by the benchmarks. They declare their own
//! `record lead` rather than `use crm`, so they measure the engine and not the
//! shipped schema.

#![allow(dead_code, reason = "each benchmark uses some of the workloads")]

/// The record type every workload decides.
pub const LEAD: &str = "\
enum segment smb, mid_market, enterprise, strategic, public_sector
enum source web, event, partner, outbound, referral, paid
record lead
  id: string
  score: int
  segment: segment
  country: string
  employees: int
  source: source
  industry: string
  title: string
  is_customer: bool
";

/// Countries of the generated leads; the territory policy uses the first ten.
pub const COUNTRIES: [&str; 12] = [
    "DE", "FR", "ES", "IT", "NL", "GB", "US", "CA", "JP", "AU", "BR", "IN",
];
/// Industries of the generated leads and of the territory rules.
pub const INDUSTRIES: [&str; 10] = [
    "software",
    "retail",
    "banking",
    "insurance",
    "health",
    "energy",
    "media",
    "logistics",
    "telecom",
    "public",
];

/// W1: six rules under `first match`, the shape of a typical inbound policy.
pub fn inbound_policy() -> String {
    inbound_policy_under("first")
}

/// W1's rules under another hit policy (`all`, `unique`).
pub fn inbound_policy_under(hit: &str) -> String {
    let teams: String = (0..5)
        .map(|t| format!("team queue_{t}\n  members \"rep{t}@acme.example\"\n"))
        .collect();
    format!("policy inbound for lead\n  {hit} match\n{LEAD}{teams}{W1_RULES}")
}

/// The rules of W1; [`w1_closures`] is the same policy written by hand.
const W1_RULES: &str = "\
rule hot_enterprise
  when score > 50 and segment = enterprise
  then hand off to queue_0 within 4h
rule customer
  when is_customer
  then hand off to queue_1 within 1d
rule emea_large
  when country in [\"DE\", \"FR\", \"ES\"] and employees >= 200
  then hand off to queue_2 within 1d
rule partner
  when source = partner
  then hand off to queue_3 within 2d
rule vp
  when title contains \"VP\" and score > 30
  then hand off to queue_4 within 1d
otherwise
  hand off to queue_0
";

/// The program of a workload's policy, compiled from its checked form: a
/// `unique match` policy whose rules may overlap is refused by `roe check`,
/// but the VM must still decide it (an overlap is then a record error).
pub fn program(name: &str, source: &str) -> roe::bytecode::program::Program {
    let compilation = roe::compile_source(name, source);
    let checked = compilation
        .checked
        .unwrap_or_else(|| panic!("{name} does not check"));
    roe::compile::compile(&checked, &compilation.sources)
        .unwrap_or_else(|_| panic!("{name} does not compile"))
}

/// A lead as hand-written Rust holds it: the baseline the VM is measured against.
pub struct Lead {
    /// 0–100.
    pub score: i64,
    /// The segment's name.
    pub segment: String,
    /// ISO country code.
    pub country: String,
    /// Headcount.
    pub employees: i64,
    /// The source's name.
    pub source: String,
    /// Industry.
    pub industry: String,
    /// Job title.
    pub title: String,
    /// An existing customer.
    pub is_customer: bool,
}

impl Lead {
    /// The struct of one generated lead.
    pub fn from_json(v: &serde_json::Value) -> Lead {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Lead {
            score: v["score"].as_i64().unwrap_or_default(),
            segment: text("segment"),
            country: text("country"),
            employees: v["employees"].as_i64().unwrap_or_default(),
            source: text("source"),
            industry: text("industry"),
            title: text("title"),
            is_customer: v["is_customer"].as_bool().unwrap_or_default(),
        }
    }
}

/// A condition written by hand.
pub type Condition = Box<dyn Fn(&Lead) -> bool>;

/// A rule written by hand: its name and its condition.
pub type Closure = (String, Condition);

/// W1 as closures, in rule order (`otherwise` is the `None` of the first match).
pub fn w1_closures() -> Vec<Closure> {
    let rules: Vec<(&str, Condition)> = vec![
        (
            "hot_enterprise",
            Box::new(|l| l.score > 50 && l.segment == "enterprise"),
        ),
        ("customer", Box::new(|l| l.is_customer)),
        (
            "emea_large",
            Box::new(|l| ["DE", "FR", "ES"].contains(&l.country.as_str()) && l.employees >= 200),
        ),
        ("partner", Box::new(|l| l.source == "partner")),
        ("vp", Box::new(|l| l.title.contains("VP") && l.score > 30)),
    ];
    rules.into_iter().map(|(n, f)| (n.to_owned(), f)).collect()
}

/// W2 as closures in the policy's (shuffled) order: the linear scan to beat.
pub fn w2_closures() -> Vec<Closure> {
    territory_rules()
        .into_iter()
        .map(|t| {
            let name = t.name();
            let f: Condition = Box::new(move |l| {
                l.country == t.country
                    && l.employees >= t.low
                    && l.employees < t.high
                    && l.industry == t.industry
            });
            (name, f)
        })
        .collect()
}

/// The first rule whose closure holds.
pub fn first_match<'a>(rules: &'a [Closure], lead: &Lead) -> Option<&'a str> {
    rules.iter().find(|(_, f)| f(lead)).map(|(n, _)| n.as_str())
}

/// Every rule whose closure holds, collected as a hand-written `all match` would.
pub fn all_matches<'a>(rules: &'a [Closure], lead: &Lead) -> Vec<&'a str> {
    rules
        .iter()
        .filter(|(_, f)| f(lead))
        .map(|(n, _)| n.as_str())
        .collect()
}

/// One territory rule of W2.
struct Territory {
    country: &'static str,
    industry: &'static str,
    band: usize,
    low: i64,
    high: i64,
}

impl Territory {
    fn name(&self) -> String {
        format!(
            "t_{}_{}_{}",
            self.country.to_lowercase(),
            self.industry,
            self.band
        )
    }
}

/// W2's rules in the policy's fixed shuffled order.
fn territory_rules() -> Vec<Territory> {
    let bands = [
        0, 10, 50, 100, 250, 500, 1_000, 5_000, 10_000, 50_000, 1_000_000,
    ];
    let mut rules = Vec::new();
    for country in &COUNTRIES[..10] {
        for industry in INDUSTRIES {
            for band in 0..10 {
                rules.push(Territory {
                    country,
                    industry,
                    band,
                    low: bands[band],
                    high: bands[band + 1],
                });
            }
        }
    }
    // A fixed shuffle (an LCG), so every run measures the same policy.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..rules.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = (state >> 33) as usize % (i + 1);
        rules.swap(i, j);
    }
    rules
}

/// W2: 1,000 territory rules (10 countries × 10 industries × 10 employee bands)
/// in a shuffled order, plus `otherwise`.
pub fn territory_policy() -> String {
    let rules: String = territory_rules()
        .iter()
        .map(|t| {
            format!(
                "rule {}\n  when country = \"{}\" and employees >= {} and employees < {} and industry = \"{}\"\n  then hand off to territory_{} within 1d\n",
                t.name(),
                t.country,
                t.low,
                t.high,
                t.industry,
                t.band % 5
            )
        })
        .collect();
    let teams: String = (0..5)
        .map(|t| format!("team territory_{t}\n  members \"rep{t}@acme.example\"\n"))
        .collect();
    format!(
        "policy territories for lead\n  first match\n{LEAD}{teams}{rules}\notherwise\n  hand off to territory_0\n"
    )
}

/// `n` leads of the workloads' own record type, varied deterministically:
/// scores 0–100, 5 segments, 12 countries, log-uniform employees 1–200,000,
/// 6 sources, 10 industries, 8 titles.
pub fn leads(n: usize) -> Vec<serde_json::Value> {
    let segments = [
        "smb",
        "mid_market",
        "enterprise",
        "strategic",
        "public_sector",
    ];
    let sources = ["web", "event", "partner", "outbound", "referral", "paid"];
    let titles = [
        "VP Sales",
        "CTO",
        "Analyst",
        "Head of RevOps",
        "VP Marketing",
        "Engineer",
        "CEO",
        "Intern",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pick = |k: u32, len: usize| (x.rotate_left(k) % len as u64) as usize;
            let employees = (200_000f64.powf((x % 10_000) as f64 / 10_000.0)).round() as i64;
            serde_json::json!({
                "id": format!("L-{i}"),
                "score": (x % 101) as i64,
                "segment": segments[pick(5, segments.len())],
                "country": COUNTRIES[pick(11, COUNTRIES.len())],
                "employees": employees.max(1),
                "source": sources[pick(17, sources.len())],
                "industry": INDUSTRIES[pick(23, INDUSTRIES.len())],
                "title": titles[pick(29, titles.len())],
                "is_customer": x.is_multiple_of(7),
            })
        })
        .collect()
}

/// `n` leads of the shipped `crm` schema as JSON Lines, varied
/// deterministically: the records of the `run` benchmarks.
pub fn crm_leads_jsonl(n: usize) -> String {
    let countries = [
        "DE", "FR", "ES", "IT", "NL", "GB", "US", "CA", "JP", "AU", "BR", "IN",
    ];
    let segments = ["smb", "mid_market", "large", "strategic"];
    let sources = ["web", "webinar", "event", "partner", "outbound", "referral"];
    let mut out = String::with_capacity(n * 260);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let pick = |k: u64, len: usize| (x.rotate_left(k as u32) % len as u64) as usize;
        let employees = if x.is_multiple_of(5) {
            String::new()
        } else {
            format!(",\"employees\":{}", 1 + x % 20_000)
        };
        out.push_str(&format!(
            "{{\"id\":\"L-{i}\",\"email\":\"p{i}@example.com\",\"country\":\"{}\",\"segment\":\"{}\",\"source\":\"{}\",\"status\":\"raw\",\"score\":{},\"created_at\":\"2026-11-29T10:00:00Z\",\"do_not_route\":{}{employees}}}\n",
            countries[pick(3, countries.len())],
            segments[pick(11, segments.len())],
            sources[pick(19, sources.len())],
            x % 101,
            x.is_multiple_of(97),
        ));
    }
    out
}
