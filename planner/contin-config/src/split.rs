//! Parallel parsing of large files.
//!
//! A file larger than [`SPLIT_MIN_BYTES`] is cut at top-level block
//! boundaries into chunks of about [`WAVE_CHUNK_BYTES`]; the parser parses
//! them in waves of one chunk per core on scoped threads and converts each
//! wave's structures, in order, before parsing the next (peak memory: one
//! wave's syntax trees, not the whole file's). Each chunk is
//! parsed as `spaces(offset) + text[offset..end]`, so every span hcl-edit
//! records is a byte offset into the original file (diagnostics and
//! `Expr::loc` need no fix-up).
//!
//! Safety of a cut: a cut is only made at the start of a line that begins
//! with an identifier character, follows a line whose only content is `}`,
//! and lies outside every string, template, heredoc, comment and bracket
//! according to [`boundaries`]' lexer. A wrong cut would leave a chunk with
//! an unterminated construct and fail its parse; any chunk error makes the
//! caller parse the whole file on one thread instead, so the diagnostics
//! (and the result) are exactly those of a serial parse.

use hcl_edit::structure::Body;
use std::ops::Range;

/// Files below this size are parsed on one thread (the split would cost
/// more than it saves).
pub(crate) const SPLIT_MIN_BYTES: usize = 512 * 1024;

/// Text per chunk when a large file is parsed in waves (see
/// [`chunk_ranges`]): small enough that one wave's syntax trees stay far
/// below the whole file's, large enough that thread start-up is noise.
pub(crate) const WAVE_CHUNK_BYTES: usize = 512 * 1024;

/// Parses `text` in `parts` chunks in parallel; `None` when the file is too
/// small, cannot be cut, or any chunk fails (the caller then parses serially).
#[cfg(test)]
pub(crate) fn parse_parallel(text: &str, parts: usize) -> Option<Vec<Body>> {
    if parts < 2 {
        return None;
    }
    parse_ranges(text, &chunk_ranges(text, parts)?)
}

/// `text` cut into about `parts` chunks at top-level block boundaries;
/// `None` when it is smaller than [`SPLIT_MIN_BYTES`] or cannot be cut.
pub(crate) fn chunk_ranges(text: &str, parts: usize) -> Option<Vec<Range<usize>>> {
    if parts < 2 || text.len() < SPLIT_MIN_BYTES {
        return None;
    }
    let cuts = cut_points(text, parts);
    if cuts.is_empty() {
        return None;
    }
    let mut ranges = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for c in cuts {
        ranges.push(start..c);
        start = c;
    }
    ranges.push(start..text.len());
    Some(ranges)
}

/// Parses the `ranges` of `text` on one scoped thread each; `None` when any
/// of them fails.
pub(crate) fn parse_ranges(text: &str, ranges: &[Range<usize>]) -> Option<Vec<Body>> {
    let results: Vec<Option<Body>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|r| {
                let r = r.clone();
                s.spawn(move || {
                    let mut padded = String::with_capacity(r.end);
                    padded.extend(std::iter::repeat_n(' ', r.start));
                    padded.push_str(&text[r]);
                    hcl_edit::parser::parse_body(&padded).ok()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    });
    results.into_iter().collect()
}

/// Up to `parts - 1` cut offsets spreading `text` evenly over `parts` chunks.
fn cut_points(text: &str, parts: usize) -> Vec<usize> {
    let all = boundaries(text.as_bytes());
    let mut cuts = Vec::new();
    let mut next = 1;
    for b in all {
        if next >= parts {
            break;
        }
        if b >= text.len() * next / parts {
            cuts.push(b);
            next += 1;
        }
    }
    cuts
}

/// Byte offsets of line starts where a new top-level structure begins
/// after a closed block (see the module comment). Gives up (returns what it
/// has so far) on anything it does not understand, such as an unbalanced
/// closing bracket.
fn boundaries(s: &[u8]) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Ctx {
        /// `{`, `[`, `(` outside strings, or `${` / `%{` inside a template.
        Bracket,
        /// Inside a quoted template string.
        Quoted,
    }
    let mut out = Vec::new();
    let mut stack: Vec<Ctx> = Vec::new();
    // Heredoc terminators waiting for their line, innermost last.
    let mut heredoc: Option<Vec<u8>> = None;
    let mut i = 0;
    let mut line_start = 0;
    // The last non-blank line was a top-level block's closing `}`.
    let mut closed = false;
    while i < s.len() {
        if let Some(tag) = &heredoc {
            // At a line start inside a heredoc: the line is its terminator
            // when its trimmed content equals the tag.
            let end = s[i..].iter().position(|&c| c == b'\n').map_or(s.len(), |p| i + p);
            let line = s[i..end].trim_ascii();
            if line == tag.as_slice() {
                heredoc = None;
            }
            i = end + 1;
            line_start = i;
            continue;
        }
        let c = s[i];
        if stack.last() == Some(&Ctx::Quoted) {
            match c {
                b'\\' => i += 2,
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'$' | b'%' if s.get(i + 1) == Some(&b'{') => {
                    stack.push(Ctx::Bracket);
                    i += 2;
                }
                b'$' | b'%' if s.get(i + 1) == Some(&c) && s.get(i + 2) == Some(&b'{') => i += 3,
                b'\n' => return out,
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'\n' => {
                let line = s[line_start..i].trim_ascii();
                // Blank lines between blocks keep the block closed.
                closed = stack.is_empty() && (line == b"}" || (closed && line.is_empty()));
                i += 1;
                line_start = i;
                if closed && s.get(i).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') {
                    out.push(i);
                }
            }
            b'"' => {
                stack.push(Ctx::Quoted);
                i += 1;
            }
            b'#' => i = skip_line(s, i),
            b'/' if s.get(i + 1) == Some(&b'/') => i = skip_line(s, i),
            b'/' if s.get(i + 1) == Some(&b'*') => match find(s, i + 2, b"*/") {
                Some(p) => i = p + 2,
                None => return out,
            },
            b'<' if s.get(i + 1) == Some(&b'<') => {
                let mut j = i + 2;
                if s.get(j) == Some(&b'-') {
                    j += 1;
                }
                let tag_start = j;
                while s.get(j).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-') {
                    j += 1;
                }
                let eol = if s.get(j) == Some(&b'\r') { j + 1 } else { j };
                if j > tag_start && s.get(eol) == Some(&b'\n') {
                    heredoc = Some(s[tag_start..j].to_vec());
                    i = eol + 1;
                    line_start = i;
                } else {
                    i += 2;
                }
            }
            b'{' | b'[' | b'(' => {
                stack.push(Ctx::Bracket);
                i += 1;
            }
            b'}' | b']' | b')' => {
                if stack.pop() != Some(Ctx::Bracket) {
                    return out;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Index of the newline ending the line at `i` (or the end of the text).
fn skip_line(s: &[u8], i: usize) -> usize {
    s[i..].iter().position(|&c| c == b'\n').map_or(s.len(), |p| i + p)
}

fn find(s: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    s.get(from..)?.windows(pat.len()).position(|w| w == pat).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(i: usize) -> String {
        format!(
            "resource \"fake_resource\" \"r{i}\" {{\n  name = \"r{i} }}\\\" ${{upper(\"x}}\")}}\"\n  # }}\n  /* }}\n}} */\n  doc = <<-EOT\n}}\nresource \"x\" \"y\" {{\n  EOT\n  list = [{{ a = 1 }}]\n}}\n"
        )
    }

    #[test]
    fn cuts_only_between_top_level_blocks() {
        // Blank lines between blocks (as written by hand and `fmt`), or none.
        let text: String = (0..4).map(|i| block(i) + if i % 2 == 0 { "\n\n" } else { "" }).collect();
        let b = boundaries(text.as_bytes());
        let starts: Vec<usize> = text.match_indices("resource \"fake_resource\"").map(|(p, _)| p).collect();
        assert_eq!(b, starts[1..].to_vec(), "only the real block starts are boundaries");
    }

    #[test]
    fn parallel_parse_equals_serial_parse_with_absolute_spans() {
        let text: String = (0..4_000).map(block).collect();
        assert!(text.len() >= SPLIT_MIN_BYTES);
        let serial = hcl_edit::parser::parse_body(&text).expect("valid");
        let parallel = parse_parallel(&text, 3).expect("split");
        assert_eq!(parallel.len(), 3);
        let blocks: Vec<_> = parallel.iter().flat_map(|b| b.iter()).collect();
        let serial_blocks: Vec<_> = serial.iter().collect();
        assert_eq!(blocks.len(), serial_blocks.len());
        use hcl_edit::Span;
        for (p, s) in blocks.iter().zip(&serial_blocks) {
            let (p, s) = (p.as_block().expect("block"), s.as_block().expect("block"));
            assert_eq!(p.labels, s.labels);
            assert_eq!(p.ident.span(), s.ident.span(), "spans are file offsets");
            let (pa, sa) = (p.body.get_attribute("name").expect("name"), s.body.get_attribute("name").expect("name"));
            assert_eq!(pa.value.to_string(), sa.value.to_string());
            assert_eq!(pa.value.span(), sa.value.span());
        }
    }

    #[test]
    fn a_file_that_cannot_be_cut_is_left_to_the_serial_parser() {
        // One huge block: no boundary.
        let mut text = String::from("locals {\n");
        while text.len() < SPLIT_MIN_BYTES + 10 {
            text.push_str("  a = 1\n");
        }
        text.push_str("}\n");
        assert!(parse_parallel(&text, 2).is_none());
        // An unterminated string in the second half: the chunk fails, so
        // the caller parses serially and reports the error itself.
        let mut bad: String = (0..4_000).map(block).collect();
        bad.push_str("resource \"a\" \"b\" {\n  x = \"open\n}\n");
        assert!(parse_parallel(&bad, 2).is_none());
        assert!(hcl_edit::parser::parse_body(&bad).is_err());
    }

    fn show(s: &hcl_edit::structure::Structure) -> String {
        let body: Body = std::iter::once(s.clone()).collect();
        body.to_string().trim().to_string()
    }

    /// Differential check: a damaged large file either is left to the serial
    /// parser (`None`) or parses in parallel to exactly the serial result.
    /// Damage is spliced in where it can confuse the cutter: quotes,
    /// brackets, heredoc openers, comment openers.
    #[test]
    fn parallel_parse_never_differs_from_serial_parse_on_damaged_files() {
        const DAMAGE: &[&str] = &["\"", "{", "}", "[", "<<EOT\n", "<<-X\r\n", "/*", "*/", "#", "${", "\n}\nresource \"a\" \"b\" {\n", "\\"];
        let base: String = (0..4_000).map(block).collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..12 {
            let mut text = base.clone();
            for _ in 0..(next() % 3 + 1) {
                let mut at = (next() as usize) % text.len();
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text.insert_str(at, DAMAGE[(next() as usize) % DAMAGE.len()]);
            }
            let serial = hcl_edit::parser::parse_body(&text);
            match parse_parallel(&text, 2) {
                None => {}
                Some(bodies) => {
                    let serial = serial.expect("the parallel parse succeeded, so must the serial one");
                    let got: Vec<String> = bodies.iter().flat_map(|b| b.iter()).map(show).collect();
                    let want: Vec<String> = serial.iter().map(show).collect();
                    assert!(got == want, "parallel and serial parses differ");
                }
            }
        }
    }
}
