//! The HTTP grammar the layer checks and writes: RFC 9110 `tchar` (auth schemes) and the
//! characters of a quoted `WWW-Authenticate` parameter value. A leaf: it imports nothing of the
//! crate.

/// An RFC 9110 `tchar`: letters, digits and ``!#$%&'*+-.^_`|~``.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Characters allowed in a quoted `WWW-Authenticate` parameter value (RFC 6750 §3).
pub(crate) fn is_qdtext(b: u8) -> bool {
    b == 0x20 || b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)
}
