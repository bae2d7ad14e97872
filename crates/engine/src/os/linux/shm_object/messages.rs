//! The object layer's values in Korean (their English is their `Display`):
//! why an object cannot be used, how to free its name, what it is, and
//! which operation failed.

use crate::i18n::Particle::{Subject, Topic};
use crate::i18n::{Lang, Localized, josa};

use super::{Fix, IoOp, ObjectError, ObjectKind, euid};

impl Localized for ObjectError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::NameTaken { path, kind, owner } => format!(
                "이름이 다른 종류의 객체에 쓰이고 있습니다 ({}: {}). memlab은 이것을 지우지 않습니다. {}",
                kind.localized(lang),
                path.display(),
                Fix::new(path, *owner).localized(lang)
            ),
            Self::Foreign { path, owner, you } => format!(
                "{}: 다른 계정(uid {owner})의 것입니다 (지금 계정은 uid {you}). \
                 memlab은 이 객체를 쓰지도, 바꾸지도, 지우지도 않습니다. {}",
                path.display(),
                Fix::new(path, Some(*owner)).localized(lang)
            ),
            Self::Exposed { path, mode } => format!(
                "{}: 다른 계정에도 열려 있습니다 (권한 {mode}). \
                 memlab은 나만 쓸 수 있는 객체(권한 0600)만 씁니다. {}",
                path.display(),
                Fix::new(path, Some(euid())).localized(lang)
            ),
            Self::UnsafeFolder { path, owner, mode } => format!(
                "{} 공유 메모리를 두기에 안전한 폴더가 아닙니다 (소유자 uid {owner}, 권한 {mode}). \
                 다른 계정이 객체를 지우거나 바꿔치기할 수 있습니다",
                josa(path.display(), Topic)
            ),
            Self::NoSpace { folder, needed } => format!(
                "{}에 공간이 없어 {needed}바이트짜리 공유 메모리 객체를 둘 수 없습니다",
                folder.display()
            ),
            Self::Busy { path, waited_ms } => format!(
                "{} {waited_ms} ms 동안 바빴습니다: 다른 인스턴스가 계속 연결하거나 떠나고 있습니다",
                josa(path.display(), Subject)
            ),
            Self::Full { path, max } => {
                format!("{}의 인스턴스 자리 {max}개가 모두 찼습니다", path.display())
            }
            Self::Unsettled { path, attempts } => format!(
                "연결하는 동안 {} 계속 지워지고 다시 만들어졌습니다 ({attempts}번 시도)",
                josa(path.display(), Subject)
            ),
            Self::Io { op, path, source } => format!(
                "{}: {} 실패 - {}",
                path.display(),
                op.localized(lang),
                source.localized(lang)
            ),
        }
    }
}

impl Localized for Fix {
    fn localized(&self, lang: Lang) -> String {
        let path = self.path.display();
        match (lang, self.yours) {
            (Lang::En, _) => self.to_string(),
            (Lang::Ko, true) => {
                format!("이 이름을 다시 쓰려면 지우세요(rm -r '{path}'). 아니면 다른 이름을 쓰세요")
            }
            (Lang::Ko, false) => format!(
                "이 이름을 되찾으려면 관리자가 지워야 합니다(sudo rm -r '{path}'). 아니면 다른 이름을 쓰세요"
            ),
        }
    }
}

impl Localized for ObjectKind {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, kind) => kind.to_string(),
            (Lang::Ko, Self::Directory) => "폴더".into(),
            (Lang::Ko, Self::Symlink) => "심볼릭 링크".into(),
            (Lang::Ko, Self::Fifo) => "이름 있는 파이프".into(),
            (Lang::Ko, Self::Socket) => "소켓".into(),
            (Lang::Ko, Self::Device) => "장치 파일".into(),
        }
    }
}

impl Localized for IoOp {
    fn localized(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, op) => op.to_string(),
            (Lang::Ko, Self::OpenFolder) => "폴더 열기".into(),
            (Lang::Ko, Self::Open) => "열기".into(),
            (Lang::Ko, Self::Create) => "객체 만들기".into(),
            (Lang::Ko, Self::Reserve) => "저장 공간 확보".into(),
            (Lang::Ko, Self::Publish) => "이름 붙이기".into(),
            (Lang::Ko, Self::Remove) => "지우기".into(),
            (Lang::Ko, Self::Lock) => "잠금".into(),
            (Lang::Ko, Self::Map) => "메모리 매핑".into(),
            (Lang::Ko, Self::Inspect) => "상태 확인".into(),
        }
    }
}
