//! Korean particles (조사) chosen from the word before them: 을/를, 이/가,
//! 은/는, 으로/로 and 과/와 depend on whether that word, read aloud, ends on
//! a final consonant (받침), and 으로/로 also on whether it is ㄹ. memlab's
//! messages put numbers, PIDs, paths and English names before particles, so
//! digits are read as Korean numbers (1 일, 10 십, 100 백), capital
//! abbreviations letter by letter (PID 피아이디) and English words by how
//! they end (lab 랩, file 파일, mutex 뮤텍스). Only when the end cannot be
//! read at all (a symbol) does the old "을(를)" form remain.

use std::fmt::Display;

/// Which particle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Particle {
    /// 을/를 (object).
    Object,
    /// 이/가 (subject).
    Subject,
    /// 은/는 (topic).
    Topic,
    /// 으로/로 (direction, means).
    Direction,
    /// 과/와 (and, with).
    With,
}

/// How a word ends when read aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Vowel,
    /// A final consonant other than ㄹ.
    Consonant,
    /// The final consonant ㄹ (takes 로, like a vowel, for 으로/로).
    Rieul,
}

/// `word` followed by the form of `particle` that fits it, e.g.
/// `josa("PID 42", Particle::Subject)` is "PID 42가" (사십이).
pub fn josa(word: impl Display, particle: Particle) -> String {
    let word = word.to_string();
    let suffix = particle_for(&word, particle);
    format!("{word}{suffix}")
}

/// The form of `particle` that fits after `word`.
pub fn particle_for(word: &str, particle: Particle) -> &'static str {
    let ending = ending(word);
    match (particle, ending) {
        (Particle::Object, Some(Ending::Vowel)) => "를",
        (Particle::Object, Some(_)) => "을",
        (Particle::Object, None) => "을(를)",
        (Particle::Subject, Some(Ending::Vowel)) => "가",
        (Particle::Subject, Some(_)) => "이",
        (Particle::Subject, None) => "이(가)",
        (Particle::Topic, Some(Ending::Vowel)) => "는",
        (Particle::Topic, Some(_)) => "은",
        (Particle::Topic, None) => "은(는)",
        (Particle::Direction, Some(Ending::Vowel | Ending::Rieul)) => "로",
        (Particle::Direction, Some(Ending::Consonant)) => "으로",
        (Particle::Direction, None) => "(으)로",
        (Particle::With, Some(Ending::Vowel)) => "와",
        (Particle::With, Some(_)) => "과",
        (Particle::With, None) => "과(와)",
    }
}

/// The part of `word` a particle attaches to: without trailing spaces,
/// closing quotes, or a parenthesised aside ("신호 9 (SIGKILL)" is read
/// "신호 구").
fn spoken_part(word: &str) -> &str {
    let mut w = word.trim_end();
    loop {
        let before = w;
        w = w
            // Closing quotes: ASCII, and ’ ” 」 』 written as escapes (they
            // are matched here, never drawn).
            .trim_end_matches([
                '"', '\'', '`', '\u{2019}', '\u{201d}', '\u{300d}', '\u{300f}',
            ])
            .trim_end();
        if let Some(inner) = w.strip_suffix(')')
            && let Some(open) = matching_open(inner)
        {
            w = inner[..open].trim_end();
        }
        if w == before {
            return w;
        }
    }
}

/// Where the `(` that the `)` just after `inner` closes is.
fn matching_open(inner: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in inner.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => return Some(i),
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn ending(word: &str) -> Option<Ending> {
    let w = spoken_part(word);
    let last = w.chars().next_back()?;
    match last {
        '가'..='힣' => {
            let jong = (last as u32 - '가' as u32) % 28;
            Some(match jong {
                0 => Ending::Vowel,
                8 => Ending::Rieul,
                _ => Ending::Consonant,
            })
        }
        'ㄹ' => Some(Ending::Rieul),
        'ㄱ'..='ㅎ' => Some(Ending::Consonant),
        '0'..='9' => Some(number_ending(w)),
        c if c.is_ascii_alphabetic() => Some(latin_ending(w)),
        '%' => Some(Ending::Vowel), // 퍼센트
        _ => None,
    }
}

/// A number read in Korean: its last non-zero digit, or the unit its
/// trailing zeros make (10 십, 100 백, 1000 천, 10000 만, 10^8 억, 10^12 조).
fn number_ending(w: &str) -> Ending {
    let digits: Vec<u8> = w
        .bytes()
        .rev()
        .take_while(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let zeros = digits.iter().take_while(|&&d| d == 0).count();
    if zeros == digits.len() {
        return Ending::Consonant; // 영
    }
    if zeros > 0 {
        return match zeros {
            1 => Ending::Consonant,      // 십
            2 => Ending::Consonant,      // 백
            3..=7 => Ending::Consonant,  // 천, 만
            8..=11 => Ending::Consonant, // 억
            _ => Ending::Vowel,          // 조
        };
    }
    match digits[0] {
        1 | 7 | 8 => Ending::Rieul, // 일, 칠, 팔
        3 | 6 => Ending::Consonant, // 삼, 육
        _ => Ending::Vowel,         // 이, 사, 오, 구
    }
}

/// An English word or abbreviation, as Korean speakers read it.
fn latin_ending(w: &str) -> Ending {
    let letters: String = w
        .chars()
        .rev()
        .take_while(char::is_ascii_alphabetic)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let spelled = letters.len() == 1 || letters.chars().all(|c| c.is_ascii_uppercase());
    if spelled {
        // Letter names: 엘, 엠, 엔, 알 end on a consonant; the rest on a vowel.
        return match letters.chars().next_back().map(|c| c.to_ascii_uppercase()) {
            Some('L' | 'R') => Ending::Rieul,
            Some('M' | 'N') => Ending::Consonant,
            _ => Ending::Vowel,
        };
    }
    let lower = letters.to_ascii_lowercase();
    if lower.ends_with("le") || lower.ends_with('l') {
        Ending::Rieul // file 파일, table 테이블, pool 풀
    } else if lower.ends_with("ng")
        || lower.ends_with("ck")
        || lower.ends_with(['m', 'n', 'b', 'p', 'k', 't'])
        || ["me", "ne", "pe"].iter().any(|e| lower.ends_with(e))
    {
        // string 스트링, lock 락, lab 랩, heap 힙, set 셋; a silent e after
        // m, n, p still ends on it: name 네임, line 라인, type 타입.
        Ending::Consonant
    } else {
        Ending::Vowel // mutex 뮤텍스, sync 싱크, manager 매니저, page 페이지
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Particle::*;

    #[test]
    fn hangul_picks_by_its_final_consonant() {
        assert_eq!(josa("파일 잠금", Object), "파일 잠금을");
        assert_eq!(josa("메모리", Object), "메모리를");
        assert_eq!(josa("뷰", Subject), "뷰가");
        assert_eq!(josa("매핑", Subject), "매핑이");
        assert_eq!(josa("예약", Topic), "예약은");
        assert_eq!(josa("파일", Direction), "파일로");
        assert_eq!(josa("읽기 전용", Direction), "읽기 전용으로");
        assert_eq!(josa("쓰기", Direction), "쓰기로");
        assert_eq!(josa("힙", With), "힙과");
        assert_eq!(josa("스택", With), "스택과");
        assert_eq!(josa("커밋 양", With), "커밋 양과");
        assert_eq!(josa("뷰", With), "뷰와");
    }

    #[test]
    fn numbers_are_read_in_korean() {
        for (n, object, direction) in [
            ("1", "을", "로"),
            ("2", "를", "로"),
            ("3", "을", "으로"),
            ("6", "을", "으로"),
            ("7", "을", "로"),
            ("9", "를", "로"),
            ("10", "을", "으로"),
            ("100", "을", "으로"),
            ("0", "을", "으로"),
            ("1.5", "를", "로"),
            ("PID 4242", "를", "로"),
        ] {
            assert_eq!(particle_for(n, Object), object, "{n}");
            assert_eq!(particle_for(n, Direction), direction, "{n}");
        }
    }

    #[test]
    fn english_names_and_abbreviations() {
        assert_eq!(
            josa("memlab 파일 잠금 (flock)", Object),
            "memlab 파일 잠금 (flock)을"
        );
        assert_eq!(josa("PID", Subject), "PID가");
        assert_eq!(josa("SampleMMF", Topic), "SampleMMF는");
        assert_eq!(josa("\"SampleMMF\"", Topic), "\"SampleMMF\"는");
        assert_eq!(josa("URL", Direction), "URL로");
        assert_eq!(josa("RAM", Subject), "RAM이");
        assert_eq!(josa("raw_sync 뮤텍스", Object), "raw_sync 뮤텍스를");
        assert_eq!(josa("memlab", Subject), "memlab이");
        assert_eq!(josa("/tmp/a.bin", Topic), "/tmp/a.bin은");
        assert_eq!(josa("file", Direction), "file로");
        assert_eq!(josa("mutex", Object), "mutex를");
        assert_eq!(josa("\"bad/name\"", Topic), "\"bad/name\"은");
        assert_eq!(josa("type", Direction), "type으로");
        assert_eq!(josa("page", Subject), "page가");
        assert_eq!(josa("신호 9 (SIGKILL)", Direction), "신호 9 (SIGKILL)로");
    }

    #[test]
    fn an_unreadable_end_keeps_both_forms() {
        assert_eq!(josa("…", Object), "…을(를)");
        assert_eq!(josa("", Subject), "이(가)");
        assert_eq!(josa("50 %", Direction), "50 %로");
    }
}
