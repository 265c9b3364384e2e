//! `jsonb` values built straight from Rust with PostgreSQL's own builder
//! (`pushJsonbValue`), the way `jsonb_in` builds them once it has parsed the
//! text: the same value, without printing JSON only to parse it again. Every
//! audit row's `meta` is made here.

use crate::errors;
use pgrx::pg_sys;
use pgrx::pg_sys::{jbvType, JsonbIteratorToken as Token};

/// A JSON scalar.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(&'a str),
}

/// A flat JSON object as a `jsonb` datum (keys sorted and deduplicated as
/// `jsonb` does: the last of two equal keys wins).
pub fn object(pairs: &[(&str, Scalar<'_>)]) -> pg_sys::Datum {
    let mut builder = Builder::default();
    builder.push(Token::WJB_BEGIN_OBJECT, None);
    for (key, value) in pairs {
        builder.push(Token::WJB_KEY, Some(string(key)));
        builder.push(Token::WJB_VALUE, Some(scalar(*value)));
    }
    builder.finish(Token::WJB_END_OBJECT)
}

/// Any JSON value as a `jsonb` datum.
pub fn from_value(value: &serde_json::Value) -> pg_sys::Datum {
    let mut builder = Builder::default();
    match value {
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            builder.push_nested(value);
            builder.finish_nested()
        }
        // A scalar document is stored as a one-element array marked raw.
        scalar => {
            let mut raw = empty(jbvType::jbvArray);
            raw.val.array.rawScalar = true;
            builder.push(Token::WJB_BEGIN_ARRAY, Some(raw));
            builder.push(Token::WJB_ELEM, Some(value_scalar(scalar)));
            builder.finish(Token::WJB_END_ARRAY)
        }
    }
}

/// A parse state and the tokens pushed so far; strings are borrowed, so the
/// builder must be finished while they live (every function here does).
#[derive(Default)]
struct Builder {
    state: Option<std::ptr::NonNull<pg_sys::JsonbParseState>>,
    last: Option<std::ptr::NonNull<pg_sys::JsonbValue>>,
}

impl Builder {
    fn push(&mut self, token: Token::Type, value: Option<pg_sys::JsonbValue>) {
        let mut state = self.state.map_or(std::ptr::null_mut(), |p| p.as_ptr());
        let mut value = value;
        let pointer = value
            .as_mut()
            .map_or(std::ptr::null_mut(), |v| v as *mut pg_sys::JsonbValue);
        // SAFETY: pushJsonbValue copies the value struct into its state
        // (allocated in the current memory context); string payloads are
        // copied when the jsonb is made, before their borrows end.
        let result = unsafe { pg_sys::pushJsonbValue(&mut state, token, pointer) };
        self.state = std::ptr::NonNull::new(state);
        self.last = std::ptr::NonNull::new(result);
    }

    fn push_nested(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                self.push(Token::WJB_BEGIN_OBJECT, None);
                for (key, v) in map {
                    self.push(Token::WJB_KEY, Some(string(key)));
                    self.push_member(Token::WJB_VALUE, v);
                }
                self.push(Token::WJB_END_OBJECT, None);
            }
            serde_json::Value::Array(items) => {
                self.push(Token::WJB_BEGIN_ARRAY, None);
                for v in items {
                    self.push_member(Token::WJB_ELEM, v);
                }
                self.push(Token::WJB_END_ARRAY, None);
            }
            _ => unreachable!("push_nested takes arrays and objects"),
        }
    }

    fn push_member(&mut self, token: Token::Type, value: &serde_json::Value) {
        match value {
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => self.push_nested(value),
            scalar => self.push(token, Some(value_scalar(scalar))),
        }
    }

    fn finish(mut self, end: Token::Type) -> pg_sys::Datum {
        self.push(end, None);
        self.finish_nested()
    }

    /// The jsonb of the value the last END token closed.
    fn finish_nested(self) -> pg_sys::Datum {
        let Some(root) = self.last else {
            errors::misconfigured("a jsonb value built without a closing token")
        };
        // SAFETY: the complete value returned by the last END token.
        pg_sys::Datum::from(unsafe { pg_sys::JsonbValueToJsonb(root.as_ptr()) })
    }
}

fn empty(kind: jbvType::Type) -> pg_sys::JsonbValue {
    pg_sys::JsonbValue {
        type_: kind,
        val: Default::default(),
    }
}

/// A jsonb string pointing at `text` (not copied yet: see [`Builder`]).
fn string(text: &str) -> pg_sys::JsonbValue {
    // jsonb strings cannot hold NUL (jsonb_in refuses \u0000 too).
    if text.as_bytes().contains(&0) {
        errors::invalid_value("a JSON string with a NUL character", None)
    }
    let Ok(len) = i32::try_from(text.len()) else {
        errors::invalid_value("a JSON string too long for jsonb", None)
    };
    let mut v = empty(jbvType::jbvString);
    v.val.string = pg_sys::JsonbValue__bindgen_ty_1__bindgen_ty_1 {
        len,
        val: text.as_ptr() as *mut std::ffi::c_char,
    };
    v
}

fn scalar(value: Scalar<'_>) -> pg_sys::JsonbValue {
    match value {
        Scalar::Null => empty(jbvType::jbvNull),
        Scalar::Bool(b) => {
            let mut v = empty(jbvType::jbvBool);
            v.val.boolean = b;
            v
        }
        // SAFETY: int64_to_numeric allocates the numeric in the current context.
        Scalar::Int(i) => numeric(unsafe { pg_sys::int64_to_numeric(i) }),
        Scalar::Str(s) => string(s),
    }
}

fn numeric(n: pg_sys::Numeric) -> pg_sys::JsonbValue {
    let mut v = empty(jbvType::jbvNumeric);
    v.val.numeric = n;
    v
}

fn value_scalar(value: &serde_json::Value) -> pg_sys::JsonbValue {
    match value {
        serde_json::Value::Null => scalar(Scalar::Null),
        serde_json::Value::Bool(b) => scalar(Scalar::Bool(*b)),
        serde_json::Value::String(s) => string(s),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => scalar(Scalar::Int(i)),
            // Other numbers through their JSON text, as jsonb_in reads them.
            None => {
                let Ok(text) = std::ffi::CString::new(n.to_string()) else {
                    errors::invalid_value("a JSON number with a NUL character", None)
                };
                // SAFETY: numeric_in parses a NUL-terminated string (typmod -1).
                let datum = unsafe {
                    pgrx::direct_function_call_as_datum(
                        pg_sys::numeric_in,
                        &[
                            Some(pg_sys::Datum::from(text.as_ptr())),
                            Some(pg_sys::Datum::from(pg_sys::InvalidOid)),
                            Some(pg_sys::Datum::from(-1i32)),
                        ],
                    )
                };
                let Some(datum) = datum else {
                    errors::invalid_value("a JSON number numeric cannot hold", None)
                };
                numeric(datum.cast_mut_ptr())
            }
        },
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            unreachable!("value_scalar takes scalars")
        }
    }
}
