//! The `.npy` header: the preamble (`\x93NUMPY`, version, header length) and the Python
//! dict literal `{'descr': ..., 'fortran_order': ..., 'shape': (...), }`, parsed by a small
//! recursive-descent parser that accepts exactly the literals numpy writes (strings, booleans,
//! tuples of integers) and names the problem otherwise.

use super::{MAGIC, MAX_HEADER_LEN, NpyHeader, perr};
use crate::{Error, Result};
use std::io::Read;
use std::path::Path;

/// A value in the header dict.
enum Val {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// A minimal parser for the Python dict literal in a `.npy` header.
struct DictParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl DictParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{}` at offset {}", c as char, self.i))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        self.ws();
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at offset {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return Err("unterminated string".to_string());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }

    fn int(&mut self) -> std::result::Result<usize, String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if start == self.i {
            return Err(format!(
                "expected a non-negative integer in the shape at offset {start}"
            ));
        }
        let digits = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        // Python 2 wrote long integers as `3L`.
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.i += 1;
        }
        digits
            .parse::<usize>()
            .map_err(|_| format!("shape entry {digits} is too large"))
    }

    fn value(&mut self) -> std::result::Result<Val, String> {
        self.ws();
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Val::Str),
            Some(b'(') => {
                self.i += 1;
                let mut dims = Vec::new();
                loop {
                    if self.eat(b')') {
                        break;
                    }
                    dims.push(self.int()?);
                    if self.eat(b',') {
                        continue;
                    }
                    self.expect(b')')?;
                    break;
                }
                Ok(Val::Tuple(dims))
            }
            Some(b'[') => Err(
                "the dtype is a structured (record) dtype, which is not supported; \
                 save a plain numeric array instead"
                    .to_string(),
            ),
            _ => {
                let rest = &self.s[self.i..];
                if rest.starts_with(b"True") {
                    self.i += 4;
                    Ok(Val::Bool(true))
                } else if rest.starts_with(b"False") {
                    self.i += 5;
                    Ok(Val::Bool(false))
                } else {
                    Err(format!("unexpected value at offset {}", self.i))
                }
            }
        }
    }

    /// Parse the whole dict into (descr, fortran_order, shape).
    fn dict(&mut self) -> std::result::Result<(String, bool, Vec<usize>), String> {
        let (mut descr, mut order, mut shape) = (None, None, None);
        self.expect(b'{')?;
        loop {
            if self.eat(b'}') {
                break;
            }
            let key = self.string()?;
            self.expect(b':')?;
            let val = self.value()?;
            match (key.as_str(), val) {
                ("descr", Val::Str(s)) => descr = Some(s),
                ("fortran_order", Val::Bool(b)) => order = Some(b),
                ("shape", Val::Tuple(t)) => shape = Some(t),
                ("descr" | "fortran_order" | "shape", _) => {
                    return Err(format!("the value of `{key}` has the wrong type"));
                }
                _ => return Err(format!("unexpected key `{key}`")),
            }
            if self.eat(b',') {
                continue;
            }
            self.expect(b'}')?;
            break;
        }
        self.ws();
        if self.i != self.s.len() {
            return Err(format!(
                "unexpected text after the dict at offset {}",
                self.i
            ));
        }
        match (descr, order, shape) {
            (Some(d), Some(o), Some(s)) => Ok((d, o, s)),
            (None, _, _) => Err("missing key `descr`".to_string()),
            (_, None, _) => Err("missing key `fortran_order`".to_string()),
            (_, _, None) => Err("missing key `shape`".to_string()),
        }
    }
}

/// Read exactly `buf.len()` bytes; a short read means the file is not a complete `.npy` file.
pub(super) fn read_exact_or<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    name: &Path,
    what: &str,
) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            perr(
                name,
                format!(
                    "not a valid .npy file: it ends inside the {what}; re-save it with numpy.save"
                ),
            )
        } else {
            Error::Io {
                path: name.to_path_buf(),
                source: e,
                usage: false,
            }
        }
    })
}

/// Read the preamble and header; returns the header and the offset where the data starts.
pub(super) fn read_header<R: Read>(r: &mut R, name: &Path) -> Result<(NpyHeader, u64)> {
    let mut pre = [0u8; 8];
    read_exact_or(r, &mut pre, name, "magic string")?;
    if &pre[..6] != MAGIC {
        return Err(perr(
            name,
            "not a .npy file (it does not start with the magic string \\x93NUMPY); \
             save the array with numpy.save, or use a .csv file",
        ));
    }
    let version = (pre[6], pre[7]);
    let (hlen, offset) = match version.0 {
        1 => {
            let mut b = [0u8; 2];
            read_exact_or(r, &mut b, name, "header length")?;
            (u16::from_le_bytes(b) as usize, 10usize)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            read_exact_or(r, &mut b, name, "header length")?;
            let n = u32::from_le_bytes(b);
            (usize::try_from(n).unwrap_or(usize::MAX), 12usize)
        }
        _ => {
            return Err(perr(
                name,
                format!(
                    "unsupported .npy format version {}.{}; supported are 1.0, 2.0 and 3.0 \
                     (re-save it with numpy.save)",
                    version.0, version.1
                ),
            ));
        }
    };
    if hlen > MAX_HEADER_LEN {
        return Err(perr(
            name,
            format!(
                "the .npy header claims {hlen} bytes, more than the {MAX_HEADER_LEN} allowed; the file is corrupt"
            ),
        ));
    }
    let mut hbytes = vec![0u8; hlen];
    read_exact_or(r, &mut hbytes, name, "header")?;
    let text: String = if version.0 == 3 {
        String::from_utf8(hbytes).map_err(|_| {
            perr(
                name,
                "the version 3.0 .npy header is not valid UTF-8; the file is corrupt",
            )
        })?
    } else {
        hbytes.iter().map(|&b| b as char).collect() // latin-1
    };
    let (descr, fortran_order, shape) = DictParser {
        s: text.as_bytes(),
        i: 0,
    }
    .dict()
    .map_err(|e| {
        perr(
            name,
            format!(
                "malformed .npy header {:?}: {e}; re-save the file with numpy.save",
                text.trim_end()
            ),
        )
    })?;
    Ok((
        NpyHeader {
            version,
            descr,
            fortran_order,
            shape,
        },
        (offset + hlen) as u64,
    ))
}
