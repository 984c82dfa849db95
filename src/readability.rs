//! Plain language, measured: Flesch reading ease and sentence length.
//!
//! Visitors should understand what they are asked in one read. Built-in
//! English strings must score at least [`MIN_EASE`] with no sentence longer
//! than [`MAX_WORDS`] words; config texts below that get a warning (never an
//! error). Syllables are estimated with the usual vowel-group heuristic,
//! which is good to a syllable or so per word: enough for a guard rail.

/// Lowest acceptable Flesch reading ease.
pub const MIN_EASE: f64 = 60.0;
/// Longest acceptable sentence, in words.
pub const MAX_WORDS: usize = 20;
/// Config texts shorter than this many words are not held to [`MIN_EASE`]:
/// Flesch's formula needs a passage, and on a few words one long one swings
/// it ("Faster." scores 36, "Videos come from another company." 32).
pub const MIN_SCORED_WORDS: usize = 10;

/// The measurements of one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Flesch reading ease (higher is easier; 60–70 is plain English).
    pub ease: f64,
    /// Words in the longest sentence.
    pub longest_sentence: usize,
    /// Words in all.
    pub words: usize,
}

impl Score {
    /// Whether the text meets the plain-language rule (the score counts
    /// from [`MIN_SCORED_WORDS`] words on).
    pub fn is_plain(&self) -> bool {
        (self.words < MIN_SCORED_WORDS || self.ease >= MIN_EASE) && self.longest_sentence <= MAX_WORDS
    }
}

/// Scores an English text.
pub fn score(text: &str) -> Score {
    let mut sentences = 0usize;
    let mut words = 0usize;
    let mut syllables = 0usize;
    let mut longest = 0usize;
    for sentence in text.split(['.', '!', '?', ';', ':']).map(str::trim).filter(|s| !s.is_empty()) {
        let ws: Vec<&str> = sentence.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).collect();
        if ws.is_empty() {
            continue;
        }
        sentences += 1;
        words += ws.len();
        longest = longest.max(ws.len());
        syllables += ws.iter().map(|w| count_syllables(w)).sum::<usize>();
    }
    if words == 0 {
        return Score { ease: 100.0, longest_sentence: 0, words: 0 };
    }
    let ease = 206.835 - 1.015 * (words as f64 / sentences as f64) - 84.6 * (syllables as f64 / words as f64);
    Score { ease, longest_sentence: longest, words }
}

/// Vowel groups, minus a silent final "e", at least one per word. Letters are
/// lowercased as ASCII: only the ASCII vowels count, and Unicode lowercasing
/// would ship its conversion tables in the wasm (about 5 KB brotli).
fn count_syllables(word: &str) -> usize {
    let w: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).map(|c| c.to_ascii_lowercase()).collect();
    if w.is_empty() {
        return 1; // a number or symbol reads as one beat
    }
    if w.len() <= 3 {
        return 1;
    }
    let vowel = |c: char| "aeiouy".contains(c);
    let mut groups = 0;
    let mut prev = false;
    for &c in &w {
        let v = vowel(c);
        if v && !prev {
            groups += 1;
        }
        prev = v;
    }
    let n = w.len();
    if w[n - 1] == 'e' && !(w[n - 2] == 'l' && !vowel(w[n - 3])) && groups > 1 {
        groups -= 1;
    }
    if n > 2 && w[n - 2..] == ['e', 'd'] && !matches!(w[n - 3], 't' | 'd') && groups > 1 {
        groups -= 1;
    }
    groups.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::builtin;

    #[test]
    fn syllables_of_common_words() {
        for (w, n) in [("the", 1), ("data", 2), ("site", 1), ("privacy", 3), ("table", 2), ("used", 1), ("improve", 2), ("visitor", 3)] {
            assert_eq!(count_syllables(w), n, "{w}");
        }
    }

    #[test]
    fn simple_text_scores_high_and_legalese_low() {
        assert!(score("We count page views. You can say no.").ease > 80.0);
        let legal = "Notwithstanding the aforementioned stipulations, the controller shall process personal information \
                     pursuant to legitimate organisational interests, contractual necessity and applicable regulatory obligations.";
        let s = score(legal);
        assert!(s.ease < 30.0, "{s:?}");
        assert!(!s.is_plain());
        // A few words are not a passage: not held to the score.
        for short in ["Faster.", "Videos come from another company."] {
            assert!(score(short).ease < MIN_EASE && score(short).is_plain(), "{short}");
        }
    }

    #[test]
    fn longest_sentence_is_counted_in_words() {
        assert_eq!(score("One two three. One two three four five!").longest_sentence, 5);
    }

    #[test]
    fn builtin_english_strings_are_plain() {
        let en = serde_json::to_value(builtin("en").unwrap()).unwrap();
        for (key, text) in en.as_object().unwrap() {
            // Scored as visitors read them, with placeholders filled in.
            let mut shown = text.as_str().unwrap().to_string();
            for (name, value) in [
                ("{purpose}", "Show videos"),
                ("{purposes}", "Show videos, Count visits"),
                ("{days}", "30"),
                ("{bytes}", "120"),
                ("{count}", "12"),
                ("{event}", "page views"),
                ("{events}", "12 page views, grouped by page"),
                ("{fields}", "page"),
                ("{field}", "load time"),
                ("{window}", "14:05 to 14:06"),
                ("{date}", "2026-11-23"),
                ("{time}", "14:07"),
            ] {
                shown = shown.replace(name, value);
            }
            let s = score(&shown);
            eprintln!("{key}: ease {:.1}, longest {}", s.ease, s.longest_sentence);
            // Built-in strings meet the score however short they are.
            assert!(s.ease >= MIN_EASE && s.longest_sentence <= MAX_WORDS, "{key}: {s:?}");
        }
    }
}
