//! The scripts of `memlab vm`, `heap` and `global`: steps separated by `;`,
//! numbered from 1, every one parsed before the first runs (a malformed
//! script changes nothing), and a failure named by its step.

use memlab_engine::error::HasKind;

use super::Failure;

/// One step of a script: its number, its text and what it parsed to.
pub(super) struct ScriptStep<'a, S> {
    pub index: usize,
    pub text: &'a str,
    pub step: S,
}

/// Splits `script` at `;` and parses every step with `parse_step`; the
/// first malformed step (or an empty script) is a usage failure naming it.
pub(super) fn parse<'a, S>(
    script: &'a str,
    parse_step: impl Fn(&str) -> Result<S, String>,
) -> Result<Vec<ScriptStep<'a, S>>, Failure> {
    let steps = script
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, text)| {
            parse_step(text)
                .map(|step| ScriptStep {
                    index: i + 1,
                    text,
                    step,
                })
                .map_err(|m| in_step(i + 1, text, Failure::usage(m)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if steps.is_empty() {
        return Err(Failure::usage("the script has no steps"));
    }
    Ok(steps)
}

/// `failure`, named by the step it happened in.
pub(super) fn in_step(index: usize, text: &str, failure: Failure) -> Failure {
    Failure {
        kind: failure.kind,
        message: format!("step {index} \"{text}\": {}", failure.message),
    }
}

/// The first failed step of a script that goes on past failures (heap,
/// global): the command ends with its failure once every step has run.
#[derive(Default)]
pub(super) struct FirstFailure(Option<Failure>);

impl FirstFailure {
    /// Keeps `result`'s error, named by its step, unless a step failed before.
    pub(super) fn note<T, E: HasKind + std::fmt::Display>(
        &mut self,
        index: usize,
        text: &str,
        result: &Result<T, E>,
    ) {
        if let Err(e) = result
            && self.0.is_none()
        {
            let failure = Failure {
                kind: e.kind(),
                message: e.to_string(),
            };
            self.0 = Some(in_step(index, text, failure));
        }
    }

    /// Ok when every step succeeded, else the first failure.
    pub(super) fn into_result(self) -> Result<(), Failure> {
        self.0.map_or(Ok(()), Err)
    }
}
