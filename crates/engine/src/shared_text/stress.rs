//! Self-checking strings for consistency tests (`memlab shared stress`):
//! a reader can tell a whole value from a torn one.

/// The `i`-th string of a stress writer `tag`: its content is a function of
/// `(tag, i)` alone, mixing one- and three-byte characters and lengths.
pub fn stress_text(tag: &str, i: u64) -> String {
    let mut text = format!("{tag}:{i}:");
    let fill = ['a', '가', 'z', '한', '*'][(i % 5) as usize];
    let target = (30 + (i * 37) % 70) as usize;
    while text.len() + fill.len_utf8() <= target.max(text.len()) {
        text.push(fill);
    }
    text
}

/// True if `text` is exactly some `stress_text(tag, i)`.
pub fn is_stress_text(text: &str) -> bool {
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next().and_then(|i| i.parse().ok())) {
        (Some(tag), Some(i)) => stress_text(tag, i) == text,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared_text::{CHAR_LEN, SAMPLE_TEXT};

    #[test]
    fn stress_texts_check_themselves() {
        for i in 0..500 {
            let text = stress_text("w3", i);
            assert!(text.len() <= CHAR_LEN, "{text}");
            assert!(is_stress_text(&text), "{text}");
            // Half of this value over the next one, as a torn read would give.
            let next = stress_text("w3", i + 1);
            let mut bytes = next.clone().into_bytes();
            let half = text.len().min(next.len()) / 2;
            bytes[..half].copy_from_slice(&text.as_bytes()[..half]);
            let torn = String::from_utf8_lossy(&bytes);
            if torn != next {
                assert!(!is_stress_text(&torn), "{torn}");
            }
        }
        assert!(!is_stress_text("w1:5:"));
        assert!(!is_stress_text(SAMPLE_TEXT));
    }
}
