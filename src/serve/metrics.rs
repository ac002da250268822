//! The service's Prometheus metrics, served at `GET /metrics` in the
//! OpenMetrics text format: requests and their latency by policy and
//! status, decisions by rule, record errors by code, reloads.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::decider::Outcomes;

/// A request's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    policy: String,
    status: u16,
}

/// A policy's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Of {
    policy: String,
}

/// A decision's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Decided {
    policy: String,
    rule: String,
}

/// A record error's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Failed {
    policy: String,
    code: String,
}

/// A shadow comparison's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Compared {
    policy: String,
    result: &'static str,
}

/// A reload's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reload {
    result: &'static str,
}

/// Every metric, and the registry that writes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    latency: Family<Of, Histogram>,
    decisions: Family<Decided, Counter>,
    errors: Family<Failed, Counter>,
    reloads: Family<Reload, Counter>,
    shadow: Family<Compared, Counter>,
    policies: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("roe");
        let requests = Family::<Request, Counter>::default();
        registry.register(
            "requests",
            "Decide requests by policy and HTTP status",
            requests.clone(),
        );
        let latency = Family::<Of, Histogram>::new_with_constructor(|| {
            // 50 µs to about 1.6 s.
            Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
        });
        registry.register(
            "request_seconds",
            "Time to answer a decide request, by policy",
            latency.clone(),
        );
        let decisions = Family::<Decided, Counter>::default();
        registry.register(
            "decisions",
            "Records decided, by policy and deciding rule",
            decisions.clone(),
        );
        let errors = Family::<Failed, Counter>::default();
        registry.register(
            "record_errors",
            "Records that could not be decided, by policy and R code",
            errors.clone(),
        );
        let reloads = Family::<Reload, Counter>::default();
        registry.register(
            "reloads",
            "Reloads of the policy folder, by result",
            reloads.clone(),
        );
        let shadow = Family::<Compared, Counter>::default();
        registry.register(
            "shadow_records",
            "Records a candidate decided alike (same) or not (different), by policy",
            shadow.clone(),
        );
        let policies = Gauge::default();
        registry.register("policies", "Policies served", policies.clone());
        Metrics {
            registry,
            requests,
            latency,
            decisions,
            errors,
            reloads,
            shadow,
            policies,
        }
    }
}

impl Metrics {
    /// Counts a decide request to `policy` answered with `status` after
    /// `seconds`, and what it decided.
    pub fn request(&self, policy: &str, status: u16, seconds: f64, outcomes: &Outcomes) {
        let of = policy.to_owned();
        self.requests
            .get_or_create(&Request {
                policy: of.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&Of { policy: of.clone() })
            .observe(seconds);
        for (rule, n) in &outcomes.rules {
            self.decisions
                .get_or_create(&Decided {
                    policy: of.clone(),
                    rule: rule.clone(),
                })
                .inc_by(*n);
        }
        for (result, n) in [("same", outcomes.same), ("different", outcomes.different)] {
            if n > 0 {
                self.shadow
                    .get_or_create(&Compared {
                        policy: of.clone(),
                        result,
                    })
                    .inc_by(n);
            }
        }
        for (code, n) in &outcomes.errors {
            self.errors
                .get_or_create(&Failed {
                    policy: of.clone(),
                    code: (*code).to_owned(),
                })
                .inc_by(*n);
        }
    }

    /// Counts a reload, and how many policies are served after it.
    pub fn reload(&self, ok: bool, policies: usize) {
        let result = if ok { "ok" } else { "failed" };
        self.reloads.get_or_create(&Reload { result }).inc();
        self.served(policies);
    }

    /// Sets how many policies are served.
    pub fn served(&self, policies: usize) {
        self.policies
            .set(i64::try_from(policies).unwrap_or(i64::MAX));
    }

    /// Every metric in the OpenMetrics text format.
    pub fn text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
