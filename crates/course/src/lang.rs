//! The student's language: the runner speaks English or Spanish.
//!
//! `PITLANE_LANG=es` or `en` chooses; otherwise the system's locale does, as
//! POSIX orders it (`LC_ALL`, then `LC_MESSAGES`, then `LANG`): `es_AR.UTF-8`,
//! `es_MX`, `es` are Spanish, anything else English. Code, test names and
//! the compiler's and AWS's own messages stay in English in both: they are
//! what the student searches for.

/// A language the runner speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// The language of this process's environment (see the module's notes).
    pub fn from_env() -> Self {
        Self::detect(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables (for tests).
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Self {
        if let Some(chosen) = var("PITLANE_LANG").and_then(|value| Self::parse(&value)) {
            return chosen;
        }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(&var)
            .find(|value| !value.is_empty());
        // `es`, or `es` followed by a territory, a codeset or a modifier.
        let spanish = locale.is_some_and(|locale| {
            locale == "es" || ["es_", "es.", "es@"].iter().any(|start| locale.starts_with(start))
        });
        if spanish { Lang::Es } else { Lang::En }
    }

    /// `es` or `en` (any case); `None` for anything else.
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// `en` or `es`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }
}

/// `tr!(lang, "English {x}", "Español {x}", args…)`: the message in `lang`,
/// formatted as `format!` does (captured names included).
#[macro_export]
macro_rules! tr {
    ($lang:expr, $en:literal, $es:literal $(, $arg:expr)* $(,)?) => {
        match $lang {
            $crate::Lang::En => format!($en $(, $arg)*),
            $crate::Lang::Es => format!($es $(, $arg)*),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(vars: &[(&str, &str)]) -> Lang {
        Lang::detect(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn the_locale_chooses_unless_pitlane_lang_does() {
        assert_eq!(detect(&[]), Lang::En);
        assert_eq!(detect(&[("LANG", "es_AR.UTF-8")]), Lang::Es);
        assert_eq!(detect(&[("LANG", "es")]), Lang::Es);
        assert_eq!(detect(&[("LANG", "en_US.UTF-8")]), Lang::En);
        assert_eq!(detect(&[("LANG", "pt_BR.UTF-8")]), Lang::En, "not Spanish: English");
        assert_eq!(detect(&[("LANG", "estonian")]), Lang::En, "es… is not es_");
        assert_eq!(detect(&[("LANG", "en_US"), ("LC_ALL", "es_MX.UTF-8")]), Lang::Es);
        assert_eq!(detect(&[("LANG", "es_CL"), ("LC_MESSAGES", "C")]), Lang::En, "POSIX order");
        assert_eq!(detect(&[("LANG", "es_CL"), ("LC_ALL", "")]), Lang::Es, "empty is unset");
        assert_eq!(detect(&[("LANG", "es_CL"), ("PITLANE_LANG", "en")]), Lang::En);
        assert_eq!(detect(&[("LANG", "C"), ("PITLANE_LANG", "ES")]), Lang::Es);
        assert_eq!(
            detect(&[("LANG", "es_CL"), ("PITLANE_LANG", "fr")]),
            Lang::Es,
            "unknown: ignored"
        );
    }

    #[test]
    fn tr_formats_in_the_language_asked() {
        let day = "07";
        assert_eq!(tr!(Lang::En, "day {day} of {}", "día {day} de {}", 12), "day 07 of 12");
        assert_eq!(tr!(Lang::Es, "day {day} of {}", "día {day} de {}", 12), "día 07 de 12");
    }
}
