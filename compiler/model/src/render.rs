//! References in a VM template's user data: what is filled in when the emitted cloud-init
//! snippet is rendered at install time (a Vault value, an environment variable, a file), never a
//! value hl holds.
//!
//! The standard library's `render_vault`, `render_env`, `render_file` and `render_base64` write a
//! reference into ordinary text between private markers, so that it passes through
//! interpolation and `template(...)` unchanged: `U+FDD0 kind U+FDD2 arg ... U+FDD1`. The three
//! are Unicode noncharacters (reserved for a program's internal use), so no text a user writes
//! or a file holds is mistaken for one, and no marker reaches the output: the emitter turns each
//! reference into template syntax and escapes the text around it.

/// Opens a reference.
pub const OPEN: char = '\u{FDD0}';
/// Closes a reference.
pub const CLOSE: char = '\u{FDD1}';
/// Separates a reference's kind and arguments.
pub const SEP: char = '\u{FDD2}';

/// Nesting of `render_base64` deeper than this is refused.
const MAX_DEPTH: usize = 16;

/// A run of user data: text as written, or a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text, written to the snippet as it is (escaped for the template engine).
    Text(String),
    /// A reference, resolved when the snippet is rendered.
    Ref(RenderRef),
}

/// A reference resolved when a snippet is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenderRef {
    /// A property of a Vault KV v2 secret: `mount` (`secret`), secret `name` (`viktor`) and
    /// `property` (`ssh_public_key`).
    Vault {
        /// The KV v2 mount.
        mount: String,
        /// The secret's name (path) under the mount.
        name: String,
        /// The property of the secret.
        property: String,
    },
    /// An environment variable of the rendering process, which must be set.
    Env(String),
    /// The contents of a file, relative to where the render command runs.
    File(String),
    /// The base64 encoding of the pieces.
    Base64(Vec<Piece>),
}

/// Split user data into text and references. An error says what is malformed, in words.
///
/// ```
/// use hl_model::render::{parse, Piece, RenderRef};
///
/// let text = "key: \u{FDD0}env\u{FDD2}JOIN\u{FDD1}\n";
/// let pieces = parse(text).unwrap();
/// assert_eq!(pieces[1], Piece::Ref(RenderRef::Env("JOIN".into())));
/// assert!(parse("\u{FDD0}env\u{FDD2}JOIN").is_err()); // never closed
/// ```
pub fn parse(text: &str) -> Result<Vec<Piece>, String> {
    let mut chars = text.chars().peekable();
    let pieces = seq(&mut chars, 0)?;
    match chars.next() {
        None => Ok(pieces),
        Some(_) => Err("a reference is closed that was never opened".into()),
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Pieces up to the end of the text, or up to (not including) a `CLOSE` when `depth > 0`.
fn seq(chars: &mut Chars<'_>, depth: usize) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    while let Some(&c) = chars.peek() {
        match c {
            OPEN => {
                chars.next();
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Ref(reference(chars, depth + 1)?));
            }
            CLOSE if depth > 0 => break,
            CLOSE => return Err("a reference is closed that was never opened".into()),
            SEP => return Err("a reference separator outside a reference".into()),
            c => {
                chars.next();
                text.push(c);
            }
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// One argument: text up to a `SEP` or `CLOSE` (left in place), without references inside.
fn arg(chars: &mut Chars<'_>, kind: &str) -> Result<String, String> {
    let mut s = String::new();
    loop {
        match chars.peek() {
            None => return Err(format!("the `{kind}` reference is never closed")),
            Some(&(SEP | CLOSE)) => return Ok(s),
            Some(&OPEN) => return Err(format!("a reference inside an argument of the `{kind}` reference")),
            Some(&c) => {
                s.push(c);
                chars.next();
            }
        }
    }
}

fn expect(chars: &mut Chars<'_>, want: char, kind: &str, what: &str) -> Result<(), String> {
    match chars.next() {
        Some(c) if c == want => Ok(()),
        None => Err(format!("the `{kind}` reference is never closed")),
        Some(_) => Err(format!("the `{kind}` reference {what}")),
    }
}

fn reference(chars: &mut Chars<'_>, depth: usize) -> Result<RenderRef, String> {
    if depth > MAX_DEPTH {
        return Err(format!("references nested more than {MAX_DEPTH} deep"));
    }
    let mut kind = String::new();
    loop {
        match chars.next() {
            None => return Err("a reference is never closed".into()),
            Some(SEP) => break,
            Some(CLOSE) => return Err(format!("a reference `{kind}` without arguments")),
            Some(OPEN) => return Err("a reference where its kind should be".into()),
            Some(c) => kind.push(c),
        }
    }
    match kind.as_str() {
        "vault" => {
            let key = arg(chars, "vault")?;
            expect(chars, SEP, "vault", "takes a key and a property")?;
            let property = arg(chars, "vault")?;
            expect(chars, CLOSE, "vault", "takes a key and a property, no more")?;
            let (mount, name) = key
                .split_once('/')
                .filter(|(m, n)| !m.is_empty() && !n.is_empty() && !n.starts_with("data/"))
                .ok_or_else(|| format!("Vault key `{key}` is not `<mount>/<name>` (such as `secret/viktor`)"))?;
            if property.is_empty() {
                return Err(format!("the Vault reference to `{key}` names no property"));
            }
            Ok(RenderRef::Vault { mount: mount.into(), name: name.into(), property })
        }
        "env" => {
            let name = arg(chars, "env")?;
            expect(chars, CLOSE, "env", "takes one name")?;
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("`{name}` is not an environment variable name"));
            }
            Ok(RenderRef::Env(name))
        }
        "file" => {
            let path = arg(chars, "file")?;
            expect(chars, CLOSE, "file", "takes one path")?;
            if path.is_empty() || path.chars().any(char::is_control) {
                return Err(format!("`{path}` is not a file path"));
            }
            Ok(RenderRef::File(path))
        }
        "base64" => {
            let inner = seq(chars, depth)?;
            expect(chars, CLOSE, "base64", "is never closed")?;
            Ok(RenderRef::Base64(inner))
        }
        other => Err(format!("unknown reference kind `{other}`")),
    }
}

/// Every reference of the pieces that reads something (Vault, environment, file), in order of
/// appearance, without repeats; the references inside `Base64` included.
pub fn inputs(pieces: &[Piece]) -> Vec<RenderRef> {
    fn walk(pieces: &[Piece], out: &mut Vec<RenderRef>) {
        for p in pieces {
            match p {
                Piece::Text(_) => {}
                Piece::Ref(RenderRef::Base64(inner)) => walk(inner, out),
                Piece::Ref(r) => {
                    if !out.contains(r) {
                        out.push(r.clone());
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(pieces, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(kind: &str, args: &[&str]) -> String {
        let mut s = format!("{OPEN}{kind}");
        for a in args {
            s.push(SEP);
            s.push_str(a);
        }
        s.push(CLOSE);
        s
    }

    #[test]
    fn parses_each_kind() {
        let text = format!(
            "a {} b {} c {} d {}",
            r("vault", &["secret/viktor", "ssh_public_key"]),
            r("env", &["K8S_JOIN_COMMAND"]),
            r("file", &["secrets/fullchain.pem"]),
            r("base64", &[&format!("x{}y", r("env", &["P"]))]),
        );
        let p = parse(&text).expect("the references parse");
        assert_eq!(p.len(), 8);
        assert_eq!(
            p[1],
            Piece::Ref(RenderRef::Vault {
                mount: "secret".into(),
                name: "viktor".into(),
                property: "ssh_public_key".into()
            })
        );
        assert_eq!(
            p[7],
            Piece::Ref(RenderRef::Base64(vec![
                Piece::Text("x".into()),
                Piece::Ref(RenderRef::Env("P".into())),
                Piece::Text("y".into())
            ]))
        );
        assert_eq!(inputs(&p).len(), 4);
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            format!("{OPEN}vault{SEP}secret{SEP}x{CLOSE}"),
            format!("{OPEN}vault{SEP}secret/a{CLOSE}"),
            format!("{OPEN}vault{SEP}secret/a{SEP}{CLOSE}"),
            format!("{OPEN}env{SEP}1X{CLOSE}"),
            format!("{OPEN}env{SEP}A{SEP}B{CLOSE}"),
            format!("{OPEN}nope{SEP}a{CLOSE}"),
            format!("{OPEN}file{SEP}{CLOSE}"),
            format!("{OPEN}env{SEP}A"),
            format!("x{CLOSE}"),
            format!("x{SEP}"),
            format!("{OPEN}env{CLOSE}"),
            format!("{OPEN}base64{SEP}abc"),
        ] {
            assert!(parse(&bad).is_err(), "{bad:?} parsed");
        }
        let deep = format!("{}x{}", format!("{OPEN}base64{SEP}").repeat(40), CLOSE.to_string().repeat(40));
        assert!(parse(&deep).is_err());
    }
}
