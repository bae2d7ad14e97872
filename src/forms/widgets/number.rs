//! A labelled whole-number field that says why a typed value was not taken
//! as typed (clamped to its range, rounded, or not a number at all).

use std::cell::RefCell;
use std::ops::RangeInclusive;

use eframe::egui;

use super::layout::{label_for, text_width};
use super::status::{Level, show_line};
use memlab_engine::i18n::Particle::{Direction, Object, Topic};
use memlab_engine::i18n::{Lang, Localized, josa};

/// Why a typed number was not taken as it was.
#[derive(Clone, Debug, PartialEq)]
pub enum InputNote {
    /// Outside the range: the nearest end was taken.
    Clamped { typed: String, to: u32 },
    /// Not whole: rounded.
    Rounded { typed: String, to: u32 },
    /// Not a number: the field kept its value.
    NotANumber { typed: String, kept: u32 },
}

impl InputNote {
    /// The note after the field's rule (`rule` says the range, e.g. "size
    /// must be 1 to 65536 KB"; only a clamp repeats it).
    pub fn localized_with(&self, rule: &dyn Localized, lang: Lang) -> String {
        match (self, lang) {
            (Self::Clamped { typed, to }, Lang::En) => {
                format!("{}; clamped to {to} (typed {typed})", rule.localized(lang))
            }
            (Self::Clamped { typed, to }, Lang::Ko) => {
                format!(
                    "{}. {} 맞췄습니다 (입력: {typed})",
                    rule.localized(lang),
                    josa(to, Direction)
                )
            }
            (Self::Rounded { typed, to }, Lang::En) => {
                format!("whole numbers only; {typed} rounded to {to}")
            }
            (Self::Rounded { typed, to }, Lang::Ko) => {
                format!(
                    "정수만 됩니다. {} {} 반올림했습니다",
                    josa(typed, Object),
                    josa(to, Direction)
                )
            }
            (Self::NotANumber { typed, kept }, Lang::En) => {
                format!("{typed:?} is not a number; kept {kept}")
            }
            (Self::NotANumber { typed, kept }, Lang::Ko) => {
                format!(
                    "{} 숫자가 아닙니다. {} 유지합니다",
                    josa(format!("{typed:?}"), Topic),
                    josa(kept, Object)
                )
            }
        }
    }
}

/// Shows the field's note, if any, as an error line.
pub fn show_note(ui: &mut egui::Ui, lang: Lang, note: Option<&InputNote>, rule: &dyn Localized) {
    if let Some(note) = note {
        show_line(ui, Level::Error, note.localized_with(rule, lang));
    }
}

/// Parses like egui's DragValue (spaces ignored, U+2212 as minus), rounding
/// to a whole number.
fn parse_number(text: &str) -> Option<f64> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '−' { '-' } else { c })
        .collect();
    clean
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(f64::round)
}

/// What a typed text becomes in `range`, and the note to show (None: taken as typed).
fn classify(text: &str, range: &RangeInclusive<u32>, current: u32) -> Option<InputNote> {
    let typed = text.trim().to_owned();
    let Some(rounded) = parse_number(text) else {
        return Some(InputNote::NotANumber {
            typed,
            kept: current,
        });
    };
    let (lo, hi) = (f64::from(*range.start()), f64::from(*range.end()));
    if rounded < lo || rounded > hi {
        let to = rounded.clamp(lo, hi) as u32;
        return Some(InputNote::Clamped { typed, to });
    }
    let exact = typed.replace(['−', ' '], "").parse::<f64>().ok();
    if exact.is_some_and(|v| v.fract() != 0.0) {
        return Some(InputNote::Rounded {
            typed,
            to: rounded as u32,
        });
    }
    None
}

/// A label and a DragValue over `range`; remembers in `note` why a typed
/// value was clamped, rounded or refused, until the next accepted value.
/// Put it in a horizontal layout; show the note with [`show_note`].
pub struct NumberInput<'a> {
    label: &'a str,
    value: &'a mut u32,
    range: RangeInclusive<u32>,
    note: &'a mut Option<InputNote>,
}

impl<'a> NumberInput<'a> {
    pub fn new(
        label: &'a str,
        value: &'a mut u32,
        range: RangeInclusive<u32>,
        note: &'a mut Option<InputNote>,
    ) -> Self {
        Self {
            label,
            value,
            range,
            note,
        }
    }
}

impl egui::Widget for NumberInput<'_> {
    fn ui(self, ui: &mut egui::Ui) -> egui::Response {
        let typed: RefCell<Option<String>> = RefCell::new(None);
        // The field is a button showing the number, at least the interact
        // size wide (egui's DragValue).
        let digits = text_width(ui, &self.value.to_string(), egui::TextStyle::Button);
        let field =
            (digits + 2.0 * ui.spacing().button_padding.x).max(ui.spacing().interact_size.x);
        let label = label_for(ui, self.label, field);
        let before = *self.value;
        let response = {
            let typed = &typed;
            let drag = egui::DragValue::new(self.value)
                .range(self.range.clone())
                .speed(1.0)
                .custom_parser(move |text| {
                    *typed.borrow_mut() = Some(text.to_owned());
                    parse_number(text)
                });
            ui.add(drag).labelled_by(label.id)
        };
        if let Some(text) = typed.into_inner() {
            *self.note = classify(&text, &self.range, before);
        } else if response.dragged() && *self.value != before {
            *self.note = None;
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct SizeRule;
    impl Localized for SizeRule {
        fn localized(&self, _: Lang) -> String {
            "size must be 1 to 65536 KB".into()
        }
    }

    #[test]
    fn typed_values_are_classified() {
        let r = 1..=65536;
        assert_eq!(classify("64", &r, 4), None);
        assert_eq!(classify(" 64 ", &r, 4), None);
        assert_eq!(
            classify("70000", &r, 4),
            Some(InputNote::Clamped {
                typed: "70000".into(),
                to: 65536
            })
        );
        assert_eq!(
            classify("−3", &r, 4),
            Some(InputNote::Clamped {
                typed: "−3".into(),
                to: 1
            })
        );
        assert_eq!(
            classify("4.6", &r, 4),
            Some(InputNote::Rounded {
                typed: "4.6".into(),
                to: 5
            })
        );
        assert_eq!(
            classify("abc", &r, 4),
            Some(InputNote::NotANumber {
                typed: "abc".into(),
                kept: 4
            })
        );
        assert_eq!(
            classify("inf", &r, 4),
            Some(InputNote::NotANumber {
                typed: "inf".into(),
                kept: 4
            })
        );
        let note = classify("0", &r, 4).unwrap();
        assert_eq!(
            note.localized_with(&SizeRule, Lang::En),
            "size must be 1 to 65536 KB; clamped to 1 (typed 0)"
        );
    }
}
