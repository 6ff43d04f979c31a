//! A whitespace-free token stream of HCL text, shaped like the tokens of
//! HashiCorp's `hclsyntax` lexer (which `terraform fmt` formats), so the
//! formatter can reproduce its spacing decisions exactly.

use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Ident,
    Number,
    OQuote,
    CQuote,
    /// Literal text inside `"…"`.
    QuotedLit,
    /// Literal text inside a heredoc (one line, or up to an interpolation).
    StringLit,
    OHeredoc,
    CHeredoc,
    /// `${` (or `${~`)
    TemplateInterp,
    /// `%{` (or `%{~`)
    TemplateControl,
    /// The `}` (or `~}`) closing an interpolation or directive.
    TemplateSeqEnd,
    /// `#…`/`//…` (including the newline that ends it) or `/*…*/`.
    Comment,
    Newline,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Comma,
    Dot,
    Ellipsis,
    Colon,
    DoubleColon,
    Question,
    Equal,
    EqualOp,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    FatArrow,
    And,
    Or,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Other,
}

#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub text: Cow<'a, str>,
    /// Spaces written before the token; set by the formatter.
    pub spaces: usize,
}

impl<'a> Token<'a> {
    pub fn new(kind: Kind, text: impl Into<Cow<'a, str>>) -> Self {
        Token {
            kind,
            text: text.into(),
            spaces: 0,
        }
    }
}

enum Mode {
    /// Expressions and structure; `braces` counts open `{` so the `}` that
    /// closes an interpolation can be told apart.
    Normal {
        braces: usize,
    },
    Quoted,
    Heredoc {
        marker: String,
        start_of_line: bool,
    },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token<'a>>,
    modes: Vec<Mode>,
}

pub(crate) fn lex(src: &str) -> Vec<Token<'_>> {
    let mut lx = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        modes: vec![Mode::Normal { braces: 0 }],
    };
    while lx.pos < src.len() {
        match lx.modes.last() {
            Some(Mode::Quoted) => lx.quoted(),
            Some(Mode::Heredoc { .. }) => lx.heredoc(),
            _ => lx.normal(),
        }
    }
    lx.tokens
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn emit(&mut self, kind: Kind, len: usize) {
        let text = &self.src[self.pos..self.pos + len];
        self.tokens.push(Token::new(kind, text));
        self.pos += len;
    }

    fn normal(&mut self) {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else { return };
        let in_template = self.modes.len() > 1;
        let braces = match self.modes.last() {
            Some(Mode::Normal { braces }) => *braces,
            _ => 0,
        };
        let two = rest.get(..2).unwrap_or("");
        match c {
            ' ' | '\t' => self.pos += 1,
            '\n' => self.emit(Kind::Newline, 1),
            '\r' if two == "\r\n" => self.emit(Kind::Newline, 2),
            '#' => self.line_comment(),
            '/' if two == "//" => self.line_comment(),
            '/' if two == "/*" => {
                let len = rest[2..].find("*/").map_or(rest.len(), |i| i + 4);
                self.emit(Kind::Comment, len);
            }
            '"' => {
                self.emit(Kind::OQuote, 1);
                self.modes.push(Mode::Quoted);
            }
            '<' if two == "<<" && self.heredoc_start() => {}
            '0'..='9' => self.number(),
            c if is_ident_start(c) => {
                let len = rest
                    .char_indices()
                    .find(|(_, c)| !is_ident_continue(*c))
                    .map_or(rest.len(), |(i, _)| i);
                self.emit(Kind::Ident, len);
            }
            '{' => {
                self.set_braces(braces + 1);
                self.emit(Kind::OBrace, 1);
            }
            '}' if braces == 0 && in_template => {
                self.emit(Kind::TemplateSeqEnd, 1);
                self.modes.pop();
            }
            '~' if two == "~}" && braces == 0 && in_template => {
                self.emit(Kind::TemplateSeqEnd, 2);
                self.modes.pop();
            }
            '}' => {
                self.set_braces(braces.saturating_sub(1));
                self.emit(Kind::CBrace, 1);
            }
            _ => {
                let (kind, len) = operator(rest);
                let len = if kind == Kind::Other {
                    c.len_utf8()
                } else {
                    len
                };
                self.emit(kind, len);
            }
        }
    }

    fn set_braces(&mut self, n: usize) {
        if let Some(Mode::Normal { braces }) = self.modes.last_mut() {
            *braces = n;
        }
    }

    fn line_comment(&mut self) {
        let rest = self.rest();
        let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
        self.emit(Kind::Comment, len);
    }

    fn number(&mut self) {
        let b = self.rest().as_bytes();
        let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        let mut len = digits(0);
        if b.get(len) == Some(&b'.') && b.get(len + 1).is_some_and(u8::is_ascii_digit) {
            len += 1 + digits(len + 1);
        }
        if matches!(b.get(len), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(b.get(len + 1), Some(b'+' | b'-')));
            let exp = digits(len + 1 + sign);
            if exp > 0 {
                len += 1 + sign + exp;
            }
        }
        self.emit(Kind::Number, len);
    }

    /// `<<EOT\n` or `<<-EOT\n`; returns false when it is not a heredoc opener.
    fn heredoc_start(&mut self) -> bool {
        let rest = self.rest();
        let after = &rest[2..];
        let after = after.strip_prefix('-').unwrap_or(after);
        let Some(first) = after.chars().next() else {
            return false;
        };
        if !is_ident_start(first) {
            return false;
        }
        let ident_len = after
            .char_indices()
            .find(|(_, c)| !is_ident_continue(*c))
            .map_or(after.len(), |(i, _)| i);
        let marker = &after[..ident_len];
        let tail = &after[ident_len..];
        let nl = if tail.starts_with('\n') {
            1
        } else if tail.starts_with("\r\n") {
            2
        } else {
            return false;
        };
        let len = rest.len() - tail.len() + nl;
        let marker = marker.to_string();
        self.emit(Kind::OHeredoc, len);
        self.modes.push(Mode::Heredoc {
            marker,
            start_of_line: true,
        });
        true
    }

    /// `${` / `%{` (with optional `~`) at the current position.
    fn template_open(&mut self) -> bool {
        let rest = self.rest();
        let kind = if rest.starts_with("${") {
            Kind::TemplateInterp
        } else if rest.starts_with("%{") {
            Kind::TemplateControl
        } else {
            return false;
        };
        let len = if rest[2..].starts_with('~') { 3 } else { 2 };
        self.emit(kind, len);
        self.modes.push(Mode::Normal { braces: 0 });
        true
    }

    /// Length of literal template text from the current position, stopping
    /// before `"` (quoted only), an unescaped `${`/`%{`, or after a newline.
    fn literal_len(&self, quoted: bool) -> usize {
        let b = self.rest().as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'"' if quoted => break,
                b'\\' if quoted => i += 2,
                b'$' | b'%' if b.get(i + 1) == Some(&b[i]) && b.get(i + 2) == Some(&b'{') => i += 3,
                b'$' | b'%' if b.get(i + 1) == Some(&b'{') => break,
                b'\n' if quoted => break,
                b'\n' => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
        // An escape at the very end cannot push us past the text or into a char.
        let mut i = i.min(b.len());
        while !self.rest().is_char_boundary(i) {
            i += 1;
        }
        i
    }

    fn quoted(&mut self) {
        let rest = self.rest();
        if rest.starts_with('"') {
            self.emit(Kind::CQuote, 1);
            self.modes.pop();
        } else if self.template_open() {
        } else if rest.starts_with('\n') || rest.starts_with("\r\n") {
            // Unterminated string (invalid input): let normal lexing resume.
            self.modes.pop();
        } else {
            let len = self.literal_len(true).max(1);
            self.emit(Kind::QuotedLit, len);
        }
    }

    fn heredoc(&mut self) {
        let (marker, start_of_line) = match self.modes.last() {
            Some(Mode::Heredoc {
                marker,
                start_of_line,
            }) => (marker.clone(), *start_of_line),
            _ => return,
        };
        let rest = self.rest();
        if start_of_line {
            let line_end = rest.find('\n').unwrap_or(rest.len());
            let line = rest[..line_end]
                .strip_suffix('\r')
                .unwrap_or(&rest[..line_end]);
            if line.trim_matches([' ', '\t']) == marker {
                let line_len = line.len();
                self.emit(Kind::CHeredoc, line_len);
                let nl = self.rest().find('\n').map_or(0, |i| i + 1);
                if nl > 0 {
                    self.emit(Kind::Newline, nl);
                }
                self.modes.pop();
                return;
            }
        }
        if self.template_open() {
            self.set_heredoc_start(false);
            return;
        }
        let len = self.literal_len(false).max(1);
        let ends_line = self.rest()[..len].ends_with('\n');
        self.emit(Kind::StringLit, len);
        self.set_heredoc_start(ends_line);
    }

    fn set_heredoc_start(&mut self, value: bool) {
        for mode in self.modes.iter_mut().rev() {
            if let Mode::Heredoc { start_of_line, .. } = mode {
                *start_of_line = value;
                return;
            }
        }
    }
}

fn operator(rest: &str) -> (Kind, usize) {
    const OPS: &[(&str, Kind)] = &[
        ("...", Kind::Ellipsis),
        ("::", Kind::DoubleColon),
        ("==", Kind::EqualOp),
        ("=>", Kind::FatArrow),
        ("!=", Kind::NotEqual),
        ("<=", Kind::LessThanEq),
        (">=", Kind::GreaterThanEq),
        ("&&", Kind::And),
        ("||", Kind::Or),
        (".", Kind::Dot),
        (":", Kind::Colon),
        ("=", Kind::Equal),
        ("!", Kind::Bang),
        ("<", Kind::LessThan),
        (">", Kind::GreaterThan),
        ("+", Kind::Plus),
        ("-", Kind::Minus),
        ("*", Kind::Star),
        ("/", Kind::Slash),
        ("%", Kind::Percent),
        ("?", Kind::Question),
        (",", Kind::Comma),
        ("[", Kind::OBrack),
        ("]", Kind::CBrack),
        ("(", Kind::OParen),
        (")", Kind::CParen),
    ];
    OPS.iter()
        .find(|(op, _)| rest.starts_with(op))
        .map_or((Kind::Other, 1), |(op, k)| (*k, op.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        lex(src)
            .into_iter()
            .map(|t| (t.kind, t.text.into_owned()))
            .collect()
    }

    #[test]
    fn templates_and_heredocs_tokenize_like_hclsyntax() {
        use Kind::*;
        let got = kinds("a = \"x${b}y\"\n");
        let want = [
            (Ident, "a"),
            (Equal, "="),
            (OQuote, "\""),
            (QuotedLit, "x"),
            (TemplateInterp, "${"),
            (Ident, "b"),
            (TemplateSeqEnd, "}"),
            (QuotedLit, "y"),
            (CQuote, "\""),
            (Newline, "\n"),
        ];
        assert_eq!(got, want.map(|(k, s)| (k, s.to_string())));
        let got = kinds("x = <<-EOT\n  hi ${a}\n  EOT\n");
        let want = [
            (Ident, "x"),
            (Equal, "="),
            (OHeredoc, "<<-EOT\n"),
            (StringLit, "  hi "),
            (TemplateInterp, "${"),
            (Ident, "a"),
            (TemplateSeqEnd, "}"),
            (StringLit, "\n"),
            (CHeredoc, "  EOT"),
            (Newline, "\n"),
        ];
        assert_eq!(got, want.map(|(k, s)| (k, s.to_string())));
        let got = kinds("m = { a = 1 } # c\n");
        assert_eq!(got[2], (OBrace, "{".to_string()));
        assert_eq!(got[6], (CBrace, "}".to_string()));
        assert_eq!(got[7], (Comment, "# c\n".to_string()));
        assert_eq!(
            kinds("1.5e3 a-b...")
                .iter()
                .map(|t| t.0)
                .collect::<Vec<_>>(),
            [Number, Ident, Ellipsis]
        );
    }
}
