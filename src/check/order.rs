//! Pass 3: consts and lets in dependency order. A binding is typed after
//! everything it mentions, so no typing recursion follows names; a cycle is
//! reported once, with the whole chain, and its members are left untyped.

use super::{BindingType, Checker, ValueName};
use crate::check::tir::TBinding;
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::{Expr, ExprKind};

/// The typed consts and lets, `None` where any failed.
pub(super) struct Bindings {
    pub(super) consts: Option<Vec<TBinding>>,
    pub(super) const_order: Vec<usize>,
    pub(super) lets: Option<Vec<TBinding>>,
}

/// A const (`Const(i)`) or let (`Let(i)`) as a node of the dependency graph.
type Node = ValueName;

impl<'a> Checker<'a> {
    fn node_decl(&self, node: Node) -> Option<&'a crate::syntax::ast::ValueDecl> {
        match node {
            ValueName::Const(i) => self.consts.get(i).copied(),
            ValueName::Let(i) => self.lets.get(i).copied(),
        }
    }

    /// The bindings an expression mentions by bare name.
    fn mentions(&self, expr: &Expr, out: &mut Vec<(Node, crate::source::Span)>) {
        let mut stack = vec![expr];
        while let Some(e) = stack.pop() {
            match &e.kind {
                // A variant name is never a mention (a binding named like one is refused anyway).
                ExprKind::Name(n) if !self.schema.enums.iter().any(|e| e.variants.contains(n)) => {
                    if let Some(v) = self.values.get(n) {
                        out.push((*v, e.span));
                    }
                }
                ExprKind::Field(inner, _)
                | ExprKind::Unary(_, inner)
                | ExprKind::Matches(inner, _)
                | ExprKind::IsSet { operand: inner, .. } => stack.push(inner),
                ExprKind::Binary(_, a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
                ExprKind::Call(_, items) | ExprKind::List(items) => stack.extend(items.iter()),
                ExprKind::Record(fields) => stack.extend(fields.iter().map(|(_, e)| e)),
                _ => {}
            }
        }
    }

    /// Every const and let, each after the bindings it mentions; bindings in a cycle are left out.
    fn binding_order(&mut self) -> Vec<Node> {
        let nodes: Vec<Node> = (0..self.consts.len())
            .map(ValueName::Const)
            .chain((0..self.lets.len()).map(ValueName::Let))
            .collect();
        let key = |n: Node, consts: usize| match n {
            ValueName::Const(i) => i,
            ValueName::Let(i) => consts + i,
        };
        let count = nodes.len();
        let consts = self.consts.len();
        // 0 = unvisited, 1 = on the current path, 2 = done, 3 = in a reported cycle.
        let mut state = vec![0u8; count];
        let mut order = Vec::with_capacity(count);
        for &root in &nodes {
            if state[key(root, consts)] != 0 {
                continue;
            }
            let mut path: Vec<(Node, Vec<(Node, crate::source::Span)>)> = Vec::new();
            let mut deps = Vec::new();
            if let Some(d) = self.node_decl(root) {
                self.mentions(&d.value, &mut deps);
            }
            deps.reverse();
            state[key(root, consts)] = 1;
            path.push((root, deps));
            while let Some((node, deps)) = path.last_mut() {
                let node = *node;
                match deps.pop() {
                    None => {
                        let k = key(node, consts);
                        if state[k] == 1 {
                            state[k] = 2;
                            order.push(node);
                        }
                        path.pop();
                    }
                    Some((next, span)) => match state[key(next, consts)] {
                        0 => {
                            let mut next_deps = Vec::new();
                            if let Some(d) = self.node_decl(next) {
                                self.mentions(&d.value, &mut next_deps);
                            }
                            next_deps.reverse();
                            state[key(next, consts)] = 1;
                            path.push((next, next_deps));
                        }
                        1 => {
                            let start = path
                                .iter()
                                .position(|(n, _)| key(*n, consts) == key(next, consts))
                                .unwrap_or(0);
                            let cycle: Vec<Node> = path[start..].iter().map(|(n, _)| *n).collect();
                            for n in &cycle {
                                state[key(*n, consts)] = 3;
                            }
                            self.report_cycle(&cycle, span);
                        }
                        _ => {}
                    },
                }
            }
        }
        order
    }

    fn report_cycle(&mut self, cycle: &[Node], closing: crate::source::Span) {
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|n| self.node_decl(*n).map(|d| d.name.node.clone()))
            .collect();
        let Some(first) = cycle.first().and_then(|n| self.node_decl(*n)) else {
            return;
        };
        let mut chain = names.clone();
        chain.push(first.name.node.clone());
        let mut d = Diagnostic::error(
            codes::CYCLE,
            format!("`{}` is defined in terms of itself", first.name.node),
            first.name.span,
        )
        .label(first.name.span, format!("the cycle: {}", chain.join(" → ")));
        for n in cycle.iter().skip(1) {
            if let Some(decl) = self.node_decl(*n) {
                d = d.label(
                    decl.name.span,
                    format!("`{}` is part of the cycle", decl.name.node),
                );
            }
        }
        d = d
            .label(closing, "this mention closes the cycle")
            .help("a `let` or `const` may use others, but not one that leads back to itself");
        self.report(d);
    }

    /// Types every const and let; returns them in declaration order when all succeeded.
    pub(super) fn check_bindings(&mut self) -> Bindings {
        let order = self.binding_order();
        let const_order = order
            .iter()
            .filter_map(|n| match n {
                ValueName::Const(i) => Some(*i),
                ValueName::Let(_) => None,
            })
            .collect();
        let mut consts: Vec<Option<TBinding>> = vec![None; self.consts.len()];
        let mut lets: Vec<Option<TBinding>> = vec![None; self.lets.len()];
        for node in order {
            let Some(decl) = self.node_decl(node) else {
                continue;
            };
            let is_const = matches!(node, ValueName::Const(_));
            let checked = self.check_binding(decl, is_const);
            let typed = match &checked {
                Some(t) => BindingType::Typed(t.ty.clone()),
                None => BindingType::Failed,
            };
            let binding = checked.map(|value| TBinding {
                name: decl.name.node.clone(),
                name_span: decl.name.span,
                value,
            });
            match node {
                ValueName::Const(i) => {
                    if let (Some(slot), Some(t)) = (consts.get_mut(i), self.const_types.get_mut(i))
                    {
                        *slot = binding;
                        *t = typed;
                    }
                }
                ValueName::Let(i) => {
                    if let (Some(slot), Some(t)) = (lets.get_mut(i), self.let_types.get_mut(i)) {
                        *slot = binding;
                        *t = typed;
                    }
                }
            }
        }
        // Bindings in a cycle stay Pending; mark them failed so uses stay quiet.
        for t in self.const_types.iter_mut().chain(self.let_types.iter_mut()) {
            if matches!(t, BindingType::Pending) {
                *t = BindingType::Failed;
            }
        }
        Bindings {
            consts: consts.into_iter().collect(),
            const_order,
            lets: lets.into_iter().collect(),
        }
    }
}

impl<'a> Checker<'a> {
    /// Types one const (no fields, lets or `now`) or let (any expression).
    fn check_binding(
        &mut self,
        decl: &crate::syntax::ast::ValueDecl,
        is_const: bool,
    ) -> Option<crate::check::tir::TExpr> {
        let ctx = super::expr::Ctx {
            constant: is_const,
            ..Default::default()
        };
        self.check_expr(&decl.value, None, &ctx)
    }
}
