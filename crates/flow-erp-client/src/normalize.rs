//! Normalisation of customer names, phone numbers and e-mail addresses before matching.
//!
//! Flow's customer names are often Arabic, with honorifics (`د.`, `أ.`, `م.`) and spelling
//! variants. Two names match when their normalised forms are **equal**; substrings never
//! match (so "محمد" does not match "محمد علي").
//!
//! Names: compatibility decomposition (which also folds Arabic presentation forms), hamza
//! and madda carriers folded (أ/إ/آ → ا, ؤ → و, ئ → ي), ى → ي, ة → ه, ٱ → ا, diacritics
//! (harakat, shadda, sukun, Latin accents) and tatweel removed, case folded, punctuation
//! turned into spaces, runs of spaces collapsed, and leading honorifics dropped.
//!
//! ```
//! use flow_erp_client::normalize::normalize_name;
//! assert_eq!(normalize_name("د. أحمد  عبدالله"), normalize_name("احمد عبداللّه"));
//! assert_eq!(normalize_name("Dr. José"), "jose");
//! assert_ne!(normalize_name("محمد"), normalize_name("محمد علي"));
//! ```

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Leading words dropped from a name (compared after normalisation; the dot of an
/// abbreviation is already gone).
const HONORIFICS: &[&str] = &[
    // Arabic: Dr., Mr./Prof. (أ.), Eng. (م.), and spelled-out forms.
    "د",
    "دكتور",
    "الدكتور",
    "دكتوره",
    "الدكتوره",
    "ا",
    "استاذ",
    "الاستاذ",
    "استاذه",
    "الاستاذه",
    "م",
    "مهندس",
    "المهندس",
    "مهندسه",
    "المهندسه",
    "السيد",
    "السيده",
    "سيد",
    "سيده",
    "الحاج",
    "الحاجه",
    "حاج",
    "حاجه",
    "ش",
    "الشيخ",
    "شيخ",
    // Latin.
    "dr",
    "doctor",
    "mr",
    "mrs",
    "ms",
    "miss",
    "eng",
    "prof",
    "sir",
    "madam",
];

fn fold_char(c: char) -> Option<char> {
    match c {
        // Tatweel.
        '\u{0640}' => None,
        'ة' => Some('ه'),
        'ى' => Some('ي'),
        'ٱ' => Some('ا'),
        // Arabic-Indic and Eastern Arabic-Indic digits to ASCII.
        '\u{0660}'..='\u{0669}' => char::from_u32(u32::from(c) - 0x0660 + u32::from('0')),
        '\u{06F0}'..='\u{06F9}' => char::from_u32(u32::from(c) - 0x06F0 + u32::from('0')),
        c if is_combining_mark(c) => None,
        c if c.is_alphanumeric() => Some(c),
        _ => Some(' '),
    }
}

/// Normalises a person's or company's name for exact matching (see the module docs).
pub fn normalize_name(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter_map(fold_char)
        .flat_map(char::to_lowercase)
        .collect();
    let words: Vec<&str> = folded.split_whitespace().collect();
    let mut start = 0;
    // Drop leading honorifics, but never the last word.
    while start + 1 < words.len() && HONORIFICS.contains(&words[start]) {
        start += 1;
    }
    words[start..].join(" ")
}

/// Normalises a phone number: digits only (Arabic-Indic digits folded), and Egyptian numbers
/// in international form (`+20 10…`, `0020 10…`) written in national form (`010…`).
pub fn normalize_phone(phone: &str) -> String {
    let digits: String = phone
        .chars()
        .filter_map(fold_char)
        .filter(char::is_ascii_digit)
        .collect();
    let national = digits
        .strip_prefix("0020")
        .or_else(|| digits.strip_prefix("20").filter(|rest| rest.len() == 10));
    match national {
        Some(rest) if !rest.starts_with('0') => format!("0{rest}"),
        Some(rest) => rest.to_owned(),
        None => digits,
    }
}

/// Normalises an e-mail address: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_variants_fold_to_one_form() {
        let expected = normalize_name("احمد عبد الله");
        for variant in [
            "أحمد عبد الله",
            "إحمد عبد الله",
            "آحمد عبد الله",
            "أَحْمَد عَبْدُ اللّٰه",
            "احـــمد عبد الله",
            "د. أحمد عبد الله",
            "أ. أحمد عبد الله",
            "الدكتور أحمد   عبد الله",
        ] {
            assert_eq!(normalize_name(variant), expected, "{variant}");
        }
        assert_eq!(normalize_name("فاطمة"), normalize_name("فاطمه"));
        assert_eq!(normalize_name("مصطفى"), normalize_name("مصطفي"));
    }

    #[test]
    fn latin_names_fold_case_accents_and_titles() {
        assert_eq!(normalize_name("Mr. JOHN  O'Neil"), "john o neil");
        assert_eq!(normalize_name("Dr José"), "jose");
        assert_eq!(normalize_name("Dr"), "dr", "a lone word is never dropped");
    }

    #[test]
    fn matching_is_exact_not_substring() {
        assert_ne!(normalize_name("محمد"), normalize_name("محمد علي"));
        assert_ne!(normalize_name("Ali"), normalize_name("Alia"));
    }

    #[test]
    fn phones_and_emails() {
        assert_eq!(normalize_phone("+20 100 123 4567"), "01001234567");
        assert_eq!(normalize_phone("0020-100-123-4567"), "01001234567");
        assert_eq!(normalize_phone("٠١٠٠١٢٣٤٥٦٧"), "01001234567");
        assert_eq!(normalize_phone("(02) 2345-6789"), "0223456789");
        assert_eq!(normalize_email("  Sara@Example.COM "), "sara@example.com");
    }
}
