//! Parameter overrides a sweep or a sensitivity analysis applies to a cell: a control's
//! coverage (`coverage.C01`), a control parameter (`control.C01.efficacy`) or a technique's
//! default (`technique.T1566.002.p`, `mean_hours`, `noise`).
//!
//! Control overrides win everywhere a control is used: in the catalog definition and in
//! every use of the control by a preset or a scenario's control set (a use's own `params`
//! and `coverage` would otherwise take precedence). Technique overrides are appended to the
//! scenario's `techniques:` list, so they replace the scenario's own values for that field.

use crate::controls::{Catalog, ControlDef, ControlSetDef, EffectDef, ParamValue};
use crate::scenario::{Scenario, TechniqueOverride};
use crate::techniques::TechniqueCatalog;

/// A technique number a parameter can move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TechField {
    /// Base success probability of one attempt.
    P,
    /// Mean hours one attempt takes.
    MeanHours,
    /// Detection probability of one attempt with no control in place.
    Noise,
}

impl TechField {
    /// Every field, in the order parameters list them.
    pub const ALL: [TechField; 3] = [TechField::P, TechField::MeanHours, TechField::Noise];

    /// The field's name in parameter names and scenario files (`p`, `mean_hours`, `noise`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            TechField::P => "p",
            TechField::MeanHours => "mean_hours",
            TechField::Noise => "noise",
        }
    }
}

/// What a parameter name refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `coverage.CONTROL`: the coverage fraction of a control.
    Coverage {
        /// Control id.
        control: String,
    },
    /// `control.CONTROL.PARAMETER`: a named parameter of a control.
    Control {
        /// Control id.
        control: String,
        /// Parameter name, as in the control's `parameters`.
        param: String,
    },
    /// `technique.ATTACK_ID.FIELD`: a number of a catalog technique.
    Technique {
        /// ATT&CK technique id.
        id: String,
        /// Which number of the technique.
        field: TechField,
    },
}

type Problem = (String, Option<String>);

const FORMS: &str = "parameters are `coverage.CONTROL`, `control.CONTROL.PARAMETER` or `technique.ATTACK_ID.FIELD` (p, mean_hours, noise), e.g. `coverage.C01`, `control.C01.efficacy`, `technique.T1566.002.p`";

impl Target {
    /// Parses a parameter name; the error is a message and a hint.
    pub fn parse(name: &str) -> Result<Target, Problem> {
        let unknown = || {
            (
                format!("`{name}` is not a parameter name"),
                Some(FORMS.to_string()),
            )
        };
        let (kind, rest) = name.split_once('.').ok_or_else(unknown)?;
        match kind {
            "coverage" if !rest.is_empty() && !rest.contains('.') => Ok(Target::Coverage {
                control: rest.to_string(),
            }),
            "control" => {
                let (c, p) = rest.split_once('.').ok_or_else(unknown)?;
                if c.is_empty() || p.is_empty() {
                    return Err(unknown());
                }
                Ok(Target::Control {
                    control: c.to_string(),
                    param: p.to_string(),
                })
            }
            "technique" => {
                let (id, f) = rest.rsplit_once('.').ok_or_else(unknown)?;
                let field = match f {
                    "p" => TechField::P,
                    "mean_hours" => TechField::MeanHours,
                    "noise" => TechField::Noise,
                    _ => {
                        return Err((
                            format!("`{f}` is not a technique parameter"),
                            Some("technique parameters are p, mean_hours and noise".into()),
                        ));
                    }
                };
                Ok(Target::Technique {
                    id: id.to_string(),
                    field,
                })
            }
            _ => Err(unknown()),
        }
    }

    /// The parameter name, as [`Target::parse`] reads it back (`control.C01.efficacy`).
    pub(crate) fn name(&self) -> String {
        match self {
            Target::Coverage { control } => format!("coverage.{control}"),
            Target::Control { control, param } => format!("control.{control}.{param}"),
            Target::Technique { id, field } => format!("technique.{id}.{}", field.name()),
        }
    }

    /// The parameter in words, for a chart's reader: the control's or the technique's name
    /// with its id, then what is varied (`Spearphishing Link (T1566.002): success
    /// probability`, `Phishing-resistant MFA (C03): efficacy`).
    pub fn describe(&self, catalog: &Catalog) -> String {
        let control = |id: &str| match catalog.get(id).and_then(|c| c.name.as_deref()) {
            Some(n) => format!("{n} ({id})"),
            None => id.to_string(),
        };
        match self {
            Target::Coverage { control: c } => format!("{}: coverage", control(c)),
            Target::Control { control: c, param } => {
                format!("{}: {}", control(c), param.replace('_', " "))
            }
            Target::Technique { id, field } => {
                let tc = crate::techniques::TechniqueCatalog::builtin();
                let name = tc.id(id).map(|t| tc.get(t).name.clone());
                let what = match field {
                    TechField::P => "success probability",
                    TechField::MeanHours => "mean hours",
                    TechField::Noise => "noise",
                };
                match name {
                    Some(n) => format!("{n} ({id}): {what}"),
                    None => format!("{id}: {what}"),
                }
            }
        }
    }

    /// The control the parameter belongs to, if any.
    pub fn control(&self) -> Option<&str> {
        match self {
            Target::Coverage { control } | Target::Control { control, .. } => Some(control),
            Target::Technique { .. } => None,
        }
    }

    /// Whether the parameter changes the compiled estate (technique defaults are baked into
    /// the attack edges) rather than only the control plan.
    pub fn shapes_estate(&self) -> bool {
        matches!(self, Target::Technique { .. })
    }

    /// Checks that the control, parameter or technique exists.
    pub fn check(&self, catalog: &Catalog) -> Result<(), Problem> {
        let control = |id: &str| -> Result<&ControlDef, Problem> {
            catalog.get(id).ok_or_else(|| {
                (
                    format!("unknown control `{id}`"),
                    Some("`ztsim controls` lists the catalog".into()),
                )
            })
        };
        match self {
            Target::Coverage { control: c } => control(c).map(|_| ()),
            Target::Control { control: c, param } => {
                let def = control(c)?;
                if def.parameters.contains_key(param) {
                    Ok(())
                } else {
                    let names: Vec<&str> = def.parameters.keys().map(String::as_str).collect();
                    Err((
                        format!("control {c} has no parameter `{param}`"),
                        Some(if names.is_empty() {
                            format!("{c} has no parameters")
                        } else {
                            format!("{c}'s parameters: {}", names.join(", "))
                        }),
                    ))
                }
            }
            Target::Technique { id, .. } => {
                let tc = TechniqueCatalog::builtin();
                if tc.id(id).is_some() {
                    Ok(())
                } else {
                    Err((
                        format!("unknown technique `{id}`"),
                        Some("`ztsim techniques` lists the ids (sub-techniques in full, e.g. T1566.002)".into()),
                    ))
                }
            }
        }
    }

    /// The valid range of the parameter: probabilities and shares in [0, 1], hours and other
    /// magnitudes from 0.
    pub fn bounds(&self, catalog: &Catalog) -> (f64, f64) {
        match self {
            Target::Coverage { .. } => (0.0, 1.0),
            Target::Technique { field, .. } => match field {
                TechField::P | TechField::Noise => (0.0, 1.0),
                TechField::MeanHours => (0.0, f64::INFINITY),
            },
            Target::Control { control, param } => {
                let effects = catalog
                    .get(control)
                    .and_then(|c| c.effects.as_deref())
                    .unwrap_or(&[]);
                if effects.iter().any(|e| is_probability_use(e, param)) {
                    (0.0, 1.0)
                } else {
                    (0.0, f64::INFINITY)
                }
            }
        }
    }

    /// Clamps a value into the parameter's valid range.
    pub fn clamp(&self, catalog: &Catalog, x: f64) -> f64 {
        let (lo, hi) = self.bounds(catalog);
        x.clamp(lo, hi)
    }
}

fn names(v: &Option<ParamValue>, param: &str) -> bool {
    matches!(v, Some(ParamValue::Param(p)) if p == param)
}

/// Whether an effect uses `param` as a probability or share.
fn is_probability_use(e: &EffectDef, param: &str) -> bool {
    names(&e.e, param) || names(&e.d, param) || names(&e.fraction, param) || names(&e.share, param)
}

/// Whether any effect of the control uses the parameter at all.
pub fn param_is_used(def: &ControlDef, param: &str) -> bool {
    def.effects
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .any(|e| is_probability_use(e, param) || names(&e.delay_hours, param))
}

/// The scenario with technique overrides appended (the last entry for a field wins).
pub fn apply_to_scenario(base: &Scenario, overrides: &[(Target, f64)]) -> Scenario {
    let mut s = base.clone();
    for (t, v) in overrides {
        if let Target::Technique { id, field } = t {
            let mut o = TechniqueOverride {
                id: id.clone(),
                ..TechniqueOverride::default()
            };
            match field {
                TechField::P => o.p = Some(*v),
                TechField::MeanHours => o.mean_hours = Some(*v),
                TechField::Noise => o.noise = Some(*v),
            }
            s.techniques.push(o);
        }
    }
    s
}

/// The catalog (presets included) and the scenario's control sets with control overrides
/// applied to the definition and to every use of the control.
pub fn apply_to_controls(
    catalog: &Catalog,
    sets: &[ControlSetDef],
    overrides: &[(Target, f64)],
) -> (Catalog, Vec<ControlSetDef>) {
    let mut cat = catalog.clone();
    let mut sets = sets.to_vec();
    for (t, v) in overrides {
        match t {
            Target::Coverage { control } => {
                if let Some(c) = cat.controls.iter_mut().find(|c| c.id == *control) {
                    c.coverage = Some(*v);
                }
                for set in cat.presets.iter_mut().chain(sets.iter_mut()) {
                    for u in set.controls.iter_mut().filter(|u| u.id == *control) {
                        u.coverage = Some(*v);
                    }
                }
            }
            Target::Control { control, param } => {
                if let Some(c) = cat.controls.iter_mut().find(|c| c.id == *control) {
                    c.params.insert(param.clone(), *v);
                }
                for set in cat.presets.iter_mut().chain(sets.iter_mut()) {
                    for u in set.controls.iter_mut().filter(|u| u.id == *control) {
                        u.params.insert(param.clone(), *v);
                    }
                }
            }
            Target::Technique { .. } => {}
        }
    }
    (cat, sets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::resolve_set;

    #[test]
    fn names_parse_and_print() {
        for n in [
            "coverage.C01",
            "control.C14.isolation_hours",
            "technique.T1566.002.p",
            "technique.T1078.mean_hours",
        ] {
            assert_eq!(Target::parse(n).unwrap().name(), n);
        }
        assert!(Target::parse("C01").is_err());
        assert!(Target::parse("technique.T1078.speed").is_err());
        assert!(Target::parse("control.C01").is_err());
    }

    #[test]
    fn control_overrides_win_over_preset_uses() {
        let cat = Catalog::builtin().unwrap();
        // The optimal preset sets C26's efficacy itself; the override must still win.
        let ov = vec![
            (Target::parse("control.C26.efficacy").unwrap(), 0.123),
            (Target::parse("coverage.C01").unwrap(), 0.4),
        ];
        let (c2, sets) = apply_to_controls(&cat, &[], &ov);
        let set = resolve_set("optimal", &sets, &c2).unwrap();
        let c26 = set.controls.iter().find(|c| c.id == "C26").unwrap();
        assert_eq!(c26.params["efficacy"], 0.123);
        let c01 = resolve_set("traditional", &sets, &c2).unwrap();
        assert_eq!(
            c01.controls
                .iter()
                .find(|c| c.id == "C01")
                .unwrap()
                .coverage,
            0.4
        );
        let plus = resolve_set("C01+C14", &sets, &c2).unwrap();
        assert_eq!(plus.controls[0].coverage, 0.4);
    }

    #[test]
    fn bounds_follow_the_effect_that_uses_the_parameter() {
        let cat = Catalog::builtin().unwrap();
        assert_eq!(
            Target::parse("control.C01.efficacy").unwrap().bounds(&cat),
            (0.0, 1.0)
        );
        let (lo, hi) = Target::parse("control.C14.isolation_hours")
            .unwrap()
            .bounds(&cat);
        assert_eq!(lo, 0.0);
        assert!(hi.is_infinite());
    }
}
