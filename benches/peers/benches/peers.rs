//! roe beside peer rule engines on the W1 and W2 workloads.
//!
//! Every peer gets the rules of the very policy text roe compiles: each `when`
//! condition is parsed here into a conjunction of atoms and written out in the
//! peer's own language. Each engine compiles its rules once and binds every
//! record into its own context once; the timed loop decides bound records, first
//! match, and returns the name of the rule that decided (`None` for
//! `otherwise`). Before anything is timed, every engine must decide exactly as
//! roe does for every generated lead.

#[path = "../../workloads/mod.rs"]
mod workloads;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value as Json;
use std::hint::black_box;

/// Leads every engine must decide exactly as roe does.
const CHECKED: usize = 10_000;
/// Records per timed iteration for W1.
const W1_BATCH: usize = 1_000;
/// Records per timed iteration for W2, where the linear peers are slow.
const W2_BATCH: usize = 200;

// ---------------------------------------------------------------------------
// The rules, read from the policy text.

/// A literal on the right of a comparison.
#[derive(Clone, Debug)]
enum Lit {
    Int(i64),
    /// A quoted string, or an enum value (bound as its name).
    Str(String),
    List(Vec<String>),
}

/// An operator of an atom.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    In,
    Contains,
    /// A bare boolean field.
    IsTrue,
}

/// `field op lit`, one conjunct of a `when`.
#[derive(Clone, Debug)]
struct Atom {
    field: String,
    op: Op,
    lit: Option<Lit>,
}

/// A rule: its name and the conjunction that makes it hold.
#[derive(Clone, Debug)]
struct Rule {
    name: String,
    atoms: Vec<Atom>,
}

fn parse_lit(text: &str) -> Lit {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Lit::List(
            inner
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_owned())
                .collect(),
        )
    } else if let Some(s) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Lit::Str(s.to_owned())
    } else if let Ok(n) = text.parse() {
        Lit::Int(n)
    } else {
        Lit::Str(text.to_owned())
    }
}

fn parse_atom(text: &str) -> Atom {
    let text = text.trim();
    let Some((field, rest)) = text.split_once(' ') else {
        return Atom {
            field: text.to_owned(),
            op: Op::IsTrue,
            lit: None,
        };
    };
    let (op, lit) = rest
        .trim()
        .split_once(' ')
        .unwrap_or_else(|| panic!("cannot read the condition `{text}`"));
    let op = match op {
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "<" => Op::Lt,
        "<=" => Op::Le,
        "=" => Op::Eq,
        "in" => Op::In,
        "contains" => Op::Contains,
        other => panic!("operator `{other}` of `{text}` has no translation for the peers"),
    };
    Atom {
        field: field.to_owned(),
        op,
        lit: Some(parse_lit(lit)),
    }
}

/// The `first match` rules of a workload policy, in order (`otherwise` excluded).
fn rules_of(policy: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut lines = policy.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("rule ") {
            let when = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("when "))
                .unwrap_or_else(|| panic!("rule {name} has no `when` line"));
            rules.push(Rule {
                name: name.trim().to_owned(),
                atoms: when.split(" and ").map(parse_atom).collect(),
            });
        }
    }
    rules
}

/// The comparison operator in C-like syntax.
fn cmp(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Eq => "==",
        _ => unreachable!("not a comparison"),
    }
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| quoted(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn lit_text(lit: &Option<Lit>) -> String {
    match lit {
        Some(Lit::Int(n)) => n.to_string(),
        Some(Lit::Str(s)) => quoted(s),
        Some(Lit::List(items)) => format!("[{}]", list(items)),
        None => String::new(),
    }
}

/// A condition in a C-like expression language: `in` and `.contains` spelled
/// as rhai and CEL spell them.
fn c_like(rule: &Rule) -> String {
    rule.atoms
        .iter()
        .map(|a| match a.op {
            Op::IsTrue => a.field.clone(),
            Op::In => format!("{} in {}", a.field, lit_text(&a.lit)),
            Op::Contains => format!("{}.contains({})", a.field, lit_text(&a.lit)),
            op => format!("{} {} {}", a.field, cmp(op), lit_text(&a.lit)),
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

/// A condition in evalexpr: a list is a tuple, membership the `contains`
/// builtin, and substring search the `text_contains` function bound here.
fn evalexpr_text(rule: &Rule) -> String {
    rule.atoms
        .iter()
        .map(|a| match (&a.op, &a.lit) {
            (Op::IsTrue, _) => a.field.clone(),
            (Op::In, Some(Lit::List(items))) => format!("contains(({}), {})", list(items), a.field),
            (Op::Contains, lit) => format!("text_contains({}, {})", a.field, lit_text(lit)),
            (op, lit) => format!("{} {} {}", a.field, cmp(*op), lit_text(lit)),
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

/// A condition in ZEN's standard expression language.
fn zen_text(rule: &Rule) -> String {
    rule.atoms
        .iter()
        .map(|a| match a.op {
            Op::IsTrue => format!("{} == true", a.field),
            Op::In => format!("{} in {}", a.field, lit_text(&a.lit)),
            Op::Contains => format!("contains({}, {})", a.field, lit_text(&a.lit)),
            op => format!("{} {} {}", a.field, cmp(op), lit_text(&a.lit)),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// One cell of a ZEN decision table: the atoms of one field as a unary test on `$`.
fn zen_cell(atoms: &[&Atom]) -> String {
    if let [atom] = atoms {
        match (&atom.op, &atom.lit) {
            (Op::Eq, Some(Lit::Str(s))) => return quoted(s),
            (Op::In, Some(Lit::List(items))) => return list(items),
            (Op::IsTrue, _) => return "true".to_owned(),
            _ => {}
        }
    }
    atoms
        .iter()
        .map(|a| match a.op {
            Op::IsTrue => "$ == true".to_owned(),
            Op::In => format!("$ in {}", lit_text(&a.lit)),
            Op::Contains => format!("contains($, {})", lit_text(&a.lit)),
            op => format!("$ {} {}", cmp(op), lit_text(&a.lit)),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The rules as a ZEN (JDM) graph: input → decision table (hit policy `first`,
/// one input column per field, output `rule` = the rule's name) → output.
fn zen_graph(rules: &[Rule]) -> Json {
    let mut fields: Vec<&str> = Vec::new();
    for atom in rules.iter().flat_map(|r| &r.atoms) {
        if !fields.contains(&atom.field.as_str()) {
            fields.push(&atom.field);
        }
    }
    let inputs: Vec<Json> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| serde_json::json!({ "id": format!("in{i}"), "name": f, "field": f }))
        .collect();
    let rows: Vec<Json> = rules
        .iter()
        .enumerate()
        .map(|(r, rule)| {
            let mut row = serde_json::Map::new();
            row.insert("_id".into(), format!("row{r}").into());
            for (i, f) in fields.iter().enumerate() {
                let atoms: Vec<&Atom> = rule.atoms.iter().filter(|a| a.field == *f).collect();
                if !atoms.is_empty() {
                    row.insert(format!("in{i}"), zen_cell(&atoms).into());
                }
            }
            row.insert("out".into(), quoted(&rule.name).into());
            Json::Object(row)
        })
        .collect();
    serde_json::json!({
        "nodes": [
            { "id": "input", "name": "request", "type": "inputNode", "content": {} },
            {
                "id": "table",
                "name": "rules",
                "type": "decisionTableNode",
                "content": {
                    "hitPolicy": "first",
                    "inputs": inputs,
                    "outputs": [{ "id": "out", "name": "rule", "field": "rule" }],
                    "rules": rows,
                },
            },
            { "id": "output", "name": "response", "type": "outputNode", "content": {} },
        ],
        "edges": [
            { "id": "e0", "sourceId": "input", "targetId": "table" },
            { "id": "e1", "sourceId": "table", "targetId": "output" },
        ],
    })
}

// ---------------------------------------------------------------------------
// The engines.

/// An engine that decides bound records, first match.
trait Engine {
    /// A record bound into the engine's context, once, outside the timed loop.
    type Bound;
    /// The name of the rule that decided.
    type Name<'a>: AsRef<str>
    where
        Self: 'a;
    fn bind(&self, record: &Json) -> Self::Bound;
    fn decide<'a>(&'a mut self, record: &mut Self::Bound) -> Option<Self::Name<'a>>;
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_796_032_800).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// roe's VM on bound records.
struct Roe<'p> {
    vm: roe::vm::Vm<'p>,
}

impl Engine for Roe<'_> {
    type Bound = roe::vm::BoundRecord;
    type Name<'a>
        = &'a str
    where
        Self: 'a;
    fn bind(&self, record: &Json) -> roe::vm::BoundRecord {
        self.vm
            .bind(record)
            .unwrap_or_else(|e| panic!("roe rejects a generated lead: {}", e.message))
    }
    /// The whole decision is made (actions and SLO deadlines included) and
    /// lent by the VM; the rule's name is read from it.
    fn decide<'a>(&'a mut self, record: &mut roe::vm::BoundRecord) -> Option<&'a str> {
        match self.vm.decide_bound_ref(record) {
            Ok(d) => match d.decided() {
                roe::vm::Decided::Rule(Some(name)) if name != "otherwise" => Some(name),
                roe::vm::Decided::Rule(_) => None,
                other => panic!("roe decided {other:?} under first match"),
            },
            Err(e) => panic!("roe cannot decide a generated lead: {}", e.message),
        }
    }
}

fn roe_program(name: &str, source: &str) -> roe::bytecode::program::Program {
    roe::compile_source(name, source)
        .program
        .unwrap_or_else(|| panic!("{name} does not compile"))
}

/// rhai: one compiled expression (AST) per rule, a `Scope` of constants per record.
struct Rhai {
    engine: rhai::Engine,
    rules: Vec<(String, rhai::AST)>,
}

impl Rhai {
    fn new(rules: &[Rule]) -> Rhai {
        let engine = rhai::Engine::new();
        let rules = rules
            .iter()
            .map(|r| {
                let text = c_like(r);
                let ast = engine
                    .compile_expression(&text)
                    .unwrap_or_else(|e| panic!("rhai cannot compile `{text}`: {e}"));
                (r.name.clone(), ast)
            })
            .collect();
        Rhai { engine, rules }
    }
}

impl Engine for Rhai {
    type Bound = rhai::Scope<'static>;
    type Name<'a> = &'a str;
    fn bind(&self, record: &Json) -> rhai::Scope<'static> {
        let mut scope = rhai::Scope::new();
        for (k, v) in record.as_object().into_iter().flatten() {
            match v {
                Json::String(s) => scope.push_constant(k.as_str(), s.clone()),
                Json::Bool(b) => scope.push_constant(k.as_str(), *b),
                Json::Number(n) => scope.push_constant(k.as_str(), n.as_i64().unwrap_or(0)),
                _ => panic!("rhai binding: unexpected field {k}"),
            };
        }
        scope
    }
    fn decide<'a>(&'a mut self, scope: &mut rhai::Scope<'static>) -> Option<&'a str> {
        for (name, ast) in &self.rules {
            match self.engine.eval_ast_with_scope::<bool>(scope, ast) {
                Ok(true) => return Some(name),
                Ok(false) => {}
                Err(e) => panic!("rhai fails on rule {name}: {e}"),
            }
        }
        None
    }
}

/// CEL (crate `cel`): one `Program` per rule, a `Context` per record.
struct Cel {
    env: std::sync::Arc<cel::Env>,
    rules: Vec<(String, cel::Program)>,
}

impl Cel {
    fn new(rules: &[Rule]) -> Cel {
        let env = std::sync::Arc::new(cel::Env::stdlib());
        let rules = rules
            .iter()
            .map(|r| {
                let text = c_like(r);
                let program = env
                    .compile(&text)
                    .unwrap_or_else(|e| panic!("CEL cannot compile `{text}`: {e}"));
                (r.name.clone(), program)
            })
            .collect();
        Cel { env, rules }
    }
}

impl Engine for Cel {
    type Bound = cel::Context<'static, 'static>;
    type Name<'a> = &'a str;
    fn bind(&self, record: &Json) -> cel::Context<'static, 'static> {
        let mut context = cel::Context::with_env(self.env.clone());
        for (k, v) in record.as_object().into_iter().flatten() {
            let value = match v {
                Json::String(s) => cel::Value::from(s.clone()),
                Json::Bool(b) => cel::Value::Bool(*b),
                Json::Number(n) => cel::Value::Int(n.as_i64().unwrap_or(0)),
                _ => panic!("CEL binding: unexpected field {k}"),
            };
            context.add_variable_from_value(k.as_str(), value);
        }
        context
    }
    fn decide<'a>(&'a mut self, context: &mut cel::Context<'static, 'static>) -> Option<&'a str> {
        for (name, program) in &self.rules {
            match program.execute(context) {
                Ok(cel::Value::Bool(true)) => return Some(name),
                Ok(cel::Value::Bool(false)) => {}
                other => panic!("CEL rule {name} gives {other:?}"),
            }
        }
        None
    }
}

/// evalexpr 11.3.1: one operator tree per rule, a `HashMapContext` per record.
struct Evalexpr {
    rules: Vec<(String, evalexpr::Node)>,
}

impl Evalexpr {
    fn new(rules: &[Rule]) -> Evalexpr {
        let rules = rules
            .iter()
            .map(|r| {
                let text = evalexpr_text(r);
                let node = evalexpr::build_operator_tree(&text)
                    .unwrap_or_else(|e| panic!("evalexpr cannot compile `{text}`: {e}"));
                (r.name.clone(), node)
            })
            .collect();
        Evalexpr { rules }
    }
}

/// evalexpr 11 has no substring search without its regex feature (which compiles
/// the pattern on every call): a native `text_contains(text, part)`.
fn text_contains(argument: &evalexpr::Value) -> evalexpr::EvalexprResult<evalexpr::Value> {
    let arguments = argument.as_fixed_len_tuple(2)?;
    let text = arguments[0].as_string()?;
    let part = arguments[1].as_string()?;
    Ok(evalexpr::Value::Boolean(text.contains(&part)))
}

impl Engine for Evalexpr {
    type Bound = evalexpr::HashMapContext;
    type Name<'a> = &'a str;
    fn bind(&self, record: &Json) -> evalexpr::HashMapContext {
        use evalexpr::{ContextWithMutableFunctions, ContextWithMutableVariables};
        let mut context = evalexpr::HashMapContext::new();
        for (k, v) in record.as_object().into_iter().flatten() {
            let value = match v {
                Json::String(s) => evalexpr::Value::String(s.clone()),
                Json::Bool(b) => evalexpr::Value::Boolean(*b),
                Json::Number(n) => evalexpr::Value::Int(n.as_i64().unwrap_or(0)),
                _ => panic!("evalexpr binding: unexpected field {k}"),
            };
            context
                .set_value(k.clone(), value)
                .unwrap_or_else(|e| panic!("evalexpr binding {k}: {e}"));
        }
        context
            .set_function(
                "text_contains".to_owned(),
                evalexpr::Function::new(text_contains),
            )
            .unwrap_or_else(|e| panic!("evalexpr binding text_contains: {e}"));
        context
    }
    fn decide<'a>(&'a mut self, context: &mut evalexpr::HashMapContext) -> Option<&'a str> {
        for (name, node) in &self.rules {
            match node.eval_boolean_with_context(context) {
                Ok(true) => return Some(name),
                Ok(false) => {}
                Err(e) => panic!("evalexpr fails on rule {name}: {e}"),
            }
        }
        None
    }
}

/// ZEN's expression language (`zen-expression`): one compiled expression per
/// rule, a `Scope` over the record's `Variable` per record, one reused VM.
struct ZenExpression {
    vm: zen_expression::vm::VM,
    rules: Vec<(
        String,
        zen_expression::Expression<zen_expression::expression::Standard>,
    )>,
}

impl ZenExpression {
    fn new(rules: &[Rule]) -> ZenExpression {
        let rules = rules
            .iter()
            .map(|r| {
                let text = zen_text(r);
                let expression = zen_expression::compile_expression(&text)
                    .unwrap_or_else(|e| panic!("ZEN cannot compile `{text}`: {e}"));
                (r.name.clone(), expression)
            })
            .collect();
        ZenExpression {
            vm: zen_expression::vm::VM::new(),
            rules,
        }
    }
}

impl Engine for ZenExpression {
    type Bound = zen_expression::scope::Scope;
    type Name<'a> = &'a str;
    fn bind(&self, record: &Json) -> zen_expression::scope::Scope {
        zen_expression::scope::Scope::new(zen_expression::Variable::from(record))
    }
    fn decide<'a>(&'a mut self, scope: &mut zen_expression::scope::Scope) -> Option<&'a str> {
        for (name, expression) in &self.rules {
            match expression.evaluate_with_scope(scope, &mut self.vm) {
                Ok(zen_expression::Variable::Bool(true)) => return Some(name),
                Ok(zen_expression::Variable::Bool(false)) => {}
                other => panic!("ZEN rule {name} gives {other:?}"),
            }
        }
        None
    }
}

/// ZEN Engine (`zen-engine`): the rules as one decision table with hit policy
/// `first` in a JDM graph, compiled once (expression cache and table index); a
/// record is bound as a `Variable`, and each decision is one graph evaluation.
struct ZenTable {
    decision: zen_engine::Decision,
}

impl ZenTable {
    fn new(rules: &[Rule]) -> ZenTable {
        let content: zen_engine::model::GraphContent =
            serde_json::from_value(zen_graph(rules)).unwrap_or_else(|e| panic!("JDM graph: {e}"));
        let mut decision = zen_engine::Decision::from(content);
        decision.compile();
        decision
            .validate()
            .unwrap_or_else(|e| panic!("ZEN rejects the decision table: {e}"));
        ZenTable { decision }
    }
}

/// The rule a ZEN graph decided, as its output holds it.
struct ZenName(zen_expression::Variable);

impl AsRef<str> for ZenName {
    fn as_ref(&self) -> &str {
        self.0.as_str().unwrap_or_default()
    }
}

/// Runs a future that never waits (ZEN's evaluation of a graph without I/O nodes).
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

impl Engine for ZenTable {
    type Bound = zen_engine::Variable;
    type Name<'a> = ZenName;
    fn bind(&self, record: &Json) -> zen_engine::Variable {
        zen_engine::Variable::from(record)
    }
    fn decide(&mut self, record: &mut zen_engine::Variable) -> Option<ZenName> {
        match ready(self.decision.evaluate(record.clone())) {
            Ok(response) => response.result.dot("rule").map(ZenName),
            Err(e) => panic!("ZEN fails: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Checking and timing.

/// Binds `records`, checks that `engine` decides each of them as roe did
/// (`expected`), twice over the first `batch` to catch state kept between
/// decisions, and returns the first `batch` bound records for timing.
fn bind_and_check<E: Engine>(
    label: &str,
    engine: &mut E,
    records: &[Json],
    expected: &[Option<String>],
    batch: usize,
) -> Vec<E::Bound> {
    let mut bound: Vec<E::Bound> = records.iter().map(|r| engine.bind(r)).collect();
    let passes = [bound.len(), batch];
    for pass in passes {
        for (i, b) in bound.iter_mut().enumerate().take(pass) {
            let got = engine.decide(b).map(|n| n.as_ref().to_owned());
            if got != expected[i] {
                panic!(
                    "{label} decides lead {i} ({}) as {got:?} but roe decides {:?}",
                    records[i], expected[i]
                );
            }
        }
    }
    bound.truncate(batch);
    bound
}

fn bench<E: Engine>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    engine: &mut E,
    bound: &mut [E::Bound],
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut decided = 0usize;
            for record in bound.iter_mut() {
                decided += usize::from(black_box(engine.decide(black_box(record))).is_some());
            }
            decided
        });
    });
}

/// One workload: roe and every peer. `large` (W2) takes 10 samples per engine
/// and also times roe without its rule index, the linear scan the peers do.
fn workload(c: &mut Criterion, label: &str, policy: &str, batch: usize, large: bool) {
    let records = workloads::leads(CHECKED);
    let rules = rules_of(policy);
    let program = roe_program(&format!("{label}.roe"), policy);
    let planned = roe::Policy::new(program.clone());
    let mut roe = Roe {
        vm: planned.vm(now()),
    };
    let mut roe_bound: Vec<_> = records.iter().map(|r| roe.bind(r)).collect();
    let expected: Vec<Option<String>> = roe_bound
        .iter_mut()
        .map(|b| roe.decide(b).map(str::to_owned))
        .collect();
    roe_bound.truncate(batch);
    let decided = expected.iter().filter(|e| e.is_some()).count();
    let distinct: std::collections::HashSet<_> = expected.iter().flatten().collect();
    eprintln!(
        "{label}: {} rules; roe decides {decided} of {CHECKED} leads by a rule ({} distinct rules), the rest `otherwise`",
        rules.len(),
        distinct.len()
    );

    let mut rhai = Rhai::new(&rules);
    let mut rhai_bound = bind_and_check("rhai", &mut rhai, &records, &expected, batch);
    let mut cel = Cel::new(&rules);
    let mut cel_bound = bind_and_check("cel", &mut cel, &records, &expected, batch);
    let mut evalexpr = Evalexpr::new(&rules);
    let mut evalexpr_bound = bind_and_check("evalexpr", &mut evalexpr, &records, &expected, batch);
    let mut zen_expr = ZenExpression::new(&rules);
    let mut zen_expr_bound =
        bind_and_check("zen_expression", &mut zen_expr, &records, &expected, batch);
    let mut zen_table = ZenTable::new(&rules);
    let mut zen_table_bound =
        bind_and_check("zen_table", &mut zen_table, &records, &expected, batch);
    eprintln!("{label}: every peer decides all {CHECKED} leads exactly as roe does");

    let mut group = c.benchmark_group(format!("peers/{label}"));
    group.throughput(Throughput::Elements(batch as u64));
    if large {
        group.sample_size(10);
    }
    bench(&mut group, "roe", &mut roe, &mut roe_bound);
    if large {
        let no_index = roe::vm::plan::PlanOptions {
            index: false,
            ..roe::vm::plan::PlanOptions::ALL
        };
        let unindexed = roe::Policy::with_options(program, no_index);
        let mut every = Roe {
            vm: unindexed.vm(now()),
        };
        let mut every_bound =
            bind_and_check("roe_every_rule", &mut every, &records, &expected, batch);
        bench(&mut group, "roe_every_rule", &mut every, &mut every_bound);
    }
    bench(&mut group, "rhai", &mut rhai, &mut rhai_bound);
    bench(&mut group, "cel", &mut cel, &mut cel_bound);
    bench(&mut group, "evalexpr", &mut evalexpr, &mut evalexpr_bound);
    bench(
        &mut group,
        "zen_expression",
        &mut zen_expr,
        &mut zen_expr_bound,
    );
    bench(
        &mut group,
        "zen_table",
        &mut zen_table,
        &mut zen_table_bound,
    );
    group.finish();
}

/// W1: six rules, first match.
fn w1(c: &mut Criterion) {
    workload(c, "w1", &workloads::inbound_policy(), W1_BATCH, false);
}

/// W2: 1,000 territory rules, first match.
fn w2(c: &mut Criterion) {
    workload(c, "w2", &workloads::territory_policy(), W2_BATCH, true);
}

criterion_group!(benches, w1, w2);
criterion_main!(benches);
