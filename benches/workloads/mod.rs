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

/// W2: 1,000 territory rules (10 countries × 10 industries × 10 employee bands)
/// in a shuffled order, plus `otherwise`.
pub fn territory_policy() -> String {
    let bands = [
        0, 10, 50, 100, 250, 500, 1_000, 5_000, 10_000, 50_000, 1_000_000,
    ];
    let mut rules = Vec::new();
    for c in &COUNTRIES[..10] {
        for i in INDUSTRIES {
            for b in 0..10 {
                rules.push(format!(
                    "rule t_{}_{i}_{b}\n  when country = \"{c}\" and employees >= {} and employees < {} and industry = \"{i}\"\n  then hand off to territory_{} within 1d\n",
                    c.to_lowercase(),
                    bands[b],
                    bands[b + 1],
                    b % 5
                ));
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
    let teams: String = (0..5)
        .map(|t| format!("team territory_{t}\n  members \"rep{t}@acme.example\"\n"))
        .collect();
    format!(
        "policy territories for lead\n  first match\n{LEAD}{teams}{}\notherwise\n  hand off to territory_0\n",
        rules.concat()
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
