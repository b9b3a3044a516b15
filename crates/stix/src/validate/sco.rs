//! Cyber-observable objects (§6): property tables, the rules that tie
//! properties together, and the id rules of SCOs (§2.9): ids from the ID
//! Contributing Properties are UUIDv5 (a SHOULD, so a mismatch is a
//! warning, as in stix2-validator), a SCO without any contributing property
//! and a process use UUIDv4 (a MUST).

use serde_json::{Map, Value};

use super::common::{self, Order, SCO_CORE, order};
use super::formats;
use super::props::{Kind, Refs, Spec, Unknown, check_object_props, p};
use super::sco_ext;
use super::vocab::*;
use super::{Cx, Path};
use crate::id::{contributing_properties, deterministic_sco_id};

const STR_REFS: Kind = Kind::RefList(Refs::AnySco);
const fn to(types: &'static [&'static str]) -> Kind {
    Kind::Ref(Refs::To(types))
}
const fn to_list(types: &'static [&'static str]) -> Kind {
    Kind::RefList(Refs::To(types))
}
const EMAIL_ADDR: &[&str] = &["email-addr"];
const ARTIFACT: &[&str] = &["artifact"];
const USER_ACCOUNT: &[&str] = &["user-account"];
const ADDRESSES: &[&str] = &["domain-name", "ipv4-addr", "ipv6-addr", "mac-addr"];

fn spec_of(object_type: &str) -> Option<&'static Spec> {
    Some(match object_type {
        "artifact" => &ARTIFACT_SPEC,
        "autonomous-system" => &AUTONOMOUS_SYSTEM,
        "directory" => &DIRECTORY,
        "domain-name" => &DOMAIN_NAME,
        "email-addr" => &EMAIL_ADDR_SPEC,
        "email-message" => &EMAIL_MESSAGE,
        "file" => &FILE,
        "ipv4-addr" => &IPV4_ADDR,
        "ipv6-addr" => &IPV6_ADDR,
        "mac-addr" => &MAC_ADDR,
        "mutex" => &MUTEX,
        "network-traffic" => &NETWORK_TRAFFIC,
        "process" => &PROCESS,
        "software" => &SOFTWARE,
        "url" => &URL,
        "user-account" => &USER_ACCOUNT_SPEC,
        "windows-registry-key" => &WINDOWS_REGISTRY_KEY,
        "x509-certificate" => &X509_CERTIFICATE,
        _ => return None,
    })
}

const ARTIFACT_SPEC: Spec = Spec::new(
    &[],
    &[],
    &[
        p("mime_type", Kind::Custom(mime_type)),
        p("payload_bin", Kind::Binary),
        p("url", Kind::Uri),
        p("hashes", Kind::Hashes),
        p(
            "encryption_algorithm",
            Kind::Enum(ENCRYPTION_ALGORITHM_ENUM),
        ),
        p("decryption_key", Kind::Str),
    ],
);

const AUTONOMOUS_SYSTEM: Spec = Spec::new(
    &["number"],
    &[],
    &[
        p("number", Kind::Int(0, i64::MAX)),
        p("name", Kind::Str),
        p("rir", Kind::Str),
    ],
);

const DIRECTORY: Spec = Spec::new(
    &["path"],
    &[],
    &[
        p("path", Kind::Str),
        p("path_enc", Kind::Custom(charset)),
        p("ctime", Kind::Timestamp),
        p("mtime", Kind::Timestamp),
        p("atime", Kind::Timestamp),
        p("contains_refs", to_list(&["directory", "file"])),
    ],
);

const DOMAIN_NAME: Spec = Spec::new(
    &["value"],
    &[],
    &[
        p("value", Kind::Custom(hostname)),
        p(
            "resolves_to_refs",
            to_list(&["domain-name", "ipv4-addr", "ipv6-addr"]),
        ),
    ],
);

const EMAIL_ADDR_SPEC: Spec = Spec::new(
    &["value"],
    &[],
    &[
        p("value", Kind::Custom(email)),
        p("display_name", Kind::Str),
        p("belongs_to_ref", to(USER_ACCOUNT)),
    ],
);

const MIME_PART: Spec = Spec::new(
    &[],
    &["body", "body_raw_ref"],
    &[
        p("body", Kind::Str),
        p("body_raw_ref", to(&["artifact", "file"])),
        p("content_type", Kind::Str),
        p("content_disposition", Kind::Str),
    ],
);

const EMAIL_MESSAGE: Spec = Spec::new(
    &["is_multipart"],
    &[],
    &[
        p("is_multipart", Kind::Bool),
        p("date", Kind::Timestamp),
        p("content_type", Kind::Str),
        p("from_ref", to(EMAIL_ADDR)),
        p("sender_ref", to(EMAIL_ADDR)),
        p("to_refs", to_list(EMAIL_ADDR)),
        p("cc_refs", to_list(EMAIL_ADDR)),
        p("bcc_refs", to_list(EMAIL_ADDR)),
        p("message_id", Kind::Str),
        p("subject", Kind::Str),
        p("received_lines", Kind::StrList),
        p("additional_header_fields", Kind::Dict),
        p("body", Kind::Str),
        p("body_multipart", Kind::ObjectList(&MIME_PART)),
        p("raw_email_ref", to(ARTIFACT)),
    ],
);

const FILE: Spec = Spec::new(
    &[],
    &["hashes", "name"],
    &[
        p("hashes", Kind::Hashes),
        p("size", Kind::Int(0, i64::MAX)),
        p("name", Kind::Str),
        p("name_enc", Kind::Custom(charset)),
        p("magic_number_hex", Kind::Hex),
        p("mime_type", Kind::Str),
        p("ctime", Kind::Timestamp),
        p("mtime", Kind::Timestamp),
        p("atime", Kind::Timestamp),
        p("parent_directory_ref", to(&["directory"])),
        p("contains_refs", STR_REFS),
        p("content_ref", to(ARTIFACT)),
    ],
);

const IPV4_ADDR: Spec = Spec::new(
    &["value"],
    &[],
    &[
        p("value", Kind::Custom(ipv4)),
        p("resolves_to_refs", to_list(&["mac-addr"])),
        p("belongs_to_refs", to_list(&["autonomous-system"])),
    ],
);

const IPV6_ADDR: Spec = Spec::new(
    &["value"],
    &[],
    &[
        p("value", Kind::Custom(ipv6)),
        p("resolves_to_refs", to_list(&["mac-addr"])),
        p("belongs_to_refs", to_list(&["autonomous-system"])),
    ],
);

const MAC_ADDR: Spec = Spec::new(&["value"], &[], &[p("value", Kind::Custom(mac))]);

const MUTEX: Spec = Spec::new(&["name"], &[], &[p("name", Kind::Str)]);

const PORT: Kind = Kind::Int(0, 65535);
const COUNT: Kind = Kind::Int(i64::MIN, i64::MAX);

const NETWORK_TRAFFIC: Spec = Spec::new(
    &["protocols"],
    &["src_ref", "dst_ref"],
    &[
        p("start", Kind::Timestamp),
        p("end", Kind::Timestamp),
        p("is_active", Kind::Bool),
        p("src_ref", to(ADDRESSES)),
        p("dst_ref", to(ADDRESSES)),
        p("src_port", PORT),
        p("dst_port", PORT),
        p("protocols", Kind::StrList),
        p("src_byte_count", COUNT),
        p("dst_byte_count", COUNT),
        p("src_packets", COUNT),
        p("dst_packets", COUNT),
        p("ipfix", Kind::Dict),
        p("src_payload_ref", to(ARTIFACT)),
        p("dst_payload_ref", to(ARTIFACT)),
        p("encapsulates_refs", to_list(&["network-traffic"])),
        p("encapsulated_by_ref", to(&["network-traffic"])),
    ],
);

const PROCESS: Spec = Spec::new(
    &[],
    &[
        "extensions",
        "is_hidden",
        "pid",
        "created_time",
        "cwd",
        "command_line",
        "environment_variables",
        "opened_connection_refs",
        "creator_user_ref",
        "image_ref",
        "parent_ref",
        "child_refs",
    ],
    &[
        p("is_hidden", Kind::Bool),
        p("pid", COUNT),
        p("created_time", Kind::Timestamp),
        p("cwd", Kind::Str),
        p("command_line", Kind::Str),
        p("environment_variables", Kind::Dict),
        p("opened_connection_refs", to_list(&["network-traffic"])),
        p("creator_user_ref", to(USER_ACCOUNT)),
        p("image_ref", to(&["file"])),
        p("parent_ref", to(&["process"])),
        p("child_refs", to_list(&["process"])),
    ],
);

const SOFTWARE: Spec = Spec::new(
    &["name"],
    &[],
    &[
        p("name", Kind::Str),
        p("cpe", Kind::Custom(cpe)),
        p("swid", Kind::Str),
        p("languages", Kind::Custom(software_languages)),
        p("vendor", Kind::Str),
        p("version", Kind::Str),
    ],
);

const URL: Spec = Spec::new(&["value"], &[], &[p("value", Kind::Uri)]);

const USER_ACCOUNT_SPEC: Spec = Spec::new(
    &[],
    &[
        "extensions",
        "user_id",
        "credential",
        "account_login",
        "account_type",
        "display_name",
        "is_service_account",
        "is_privileged",
        "can_escalate_privs",
        "is_disabled",
        "account_created",
        "account_expires",
        "credential_last_changed",
        "account_first_login",
        "account_last_login",
    ],
    &[
        p("user_id", Kind::Str),
        p("credential", Kind::Str),
        p("account_login", Kind::Str),
        p("account_type", Kind::Vocab(ACCOUNT_TYPE_OV)),
        p("display_name", Kind::Str),
        p("is_service_account", Kind::Bool),
        p("is_privileged", Kind::Bool),
        p("can_escalate_privs", Kind::Bool),
        p("is_disabled", Kind::Bool),
        p("account_created", Kind::Timestamp),
        p("account_expires", Kind::Timestamp),
        p("credential_last_changed", Kind::Timestamp),
        p("account_first_login", Kind::Timestamp),
        p("account_last_login", Kind::Timestamp),
    ],
);

const REGISTRY_VALUE: Spec = Spec::new(
    &[],
    &["name", "data", "data_type"],
    &[
        p("name", Kind::Str),
        p("data", Kind::Str),
        p("data_type", Kind::Enum(WINDOWS_REGISTRY_DATATYPE_ENUM)),
    ],
);

const WINDOWS_REGISTRY_KEY: Spec = Spec::new(
    &[],
    &[
        "key",
        "values",
        "modified_time",
        "creator_user_ref",
        "number_of_subkeys",
    ],
    &[
        p("key", Kind::Custom(registry_key)),
        p("values", Kind::ObjectList(&REGISTRY_VALUE)),
        p("modified_time", Kind::Timestamp),
        p("creator_user_ref", to(USER_ACCOUNT)),
        p("number_of_subkeys", COUNT),
    ],
);

const X509_V3_EXTENSIONS: Spec = Spec::new(
    &[],
    &[
        "basic_constraints",
        "name_constraints",
        "policy_constraints",
        "key_usage",
        "extended_key_usage",
        "subject_key_identifier",
        "authority_key_identifier",
        "subject_alternative_name",
        "issuer_alternative_name",
        "subject_directory_attributes",
        "crl_distribution_points",
        "inhibit_any_policy",
        "private_key_usage_period_not_before",
        "private_key_usage_period_not_after",
        "certificate_policies",
        "policy_mappings",
    ],
    &[
        p("basic_constraints", Kind::Str),
        p("name_constraints", Kind::Str),
        p("policy_constraints", Kind::Str),
        p("key_usage", Kind::Str),
        p("extended_key_usage", Kind::Str),
        p("subject_key_identifier", Kind::Str),
        p("authority_key_identifier", Kind::Str),
        p("subject_alternative_name", Kind::Str),
        p("issuer_alternative_name", Kind::Str),
        p("subject_directory_attributes", Kind::Str),
        p("crl_distribution_points", Kind::Str),
        p("inhibit_any_policy", Kind::Str),
        p("private_key_usage_period_not_before", Kind::Timestamp),
        p("private_key_usage_period_not_after", Kind::Timestamp),
        p("certificate_policies", Kind::Str),
        p("policy_mappings", Kind::Str),
    ],
);

const X509_CERTIFICATE: Spec = Spec::new(
    &[],
    &[
        "is_self_signed",
        "hashes",
        "version",
        "serial_number",
        "signature_algorithm",
        "issuer",
        "validity_not_before",
        "validity_not_after",
        "subject",
        "subject_public_key_algorithm",
        "subject_public_key_modulus",
        "subject_public_key_exponent",
        "x509_v3_extensions",
    ],
    &[
        p("is_self_signed", Kind::Bool),
        p("hashes", Kind::Hashes),
        p("version", Kind::Str),
        p("serial_number", Kind::Str),
        p("signature_algorithm", Kind::Str),
        p("issuer", Kind::Str),
        p("validity_not_before", Kind::Timestamp),
        p("validity_not_after", Kind::Timestamp),
        p("subject", Kind::Str),
        p("subject_public_key_algorithm", Kind::Str),
        p("subject_public_key_modulus", Kind::Str),
        p("subject_public_key_exponent", COUNT),
        p("x509_v3_extensions", Kind::Object(&X509_V3_EXTENSIONS)),
    ],
);

fn orders_of(object_type: &str) -> &'static [Order] {
    match object_type {
        "network-traffic" => const { &[order("start", "end", false)] },
        _ => &[],
    }
}

/// Checks one SCO (top level, or embedded in observed-data at `path`).
pub(crate) fn check(cx: &mut Cx, object_type: &str, object: &Map<String, Value>, path: &Path) {
    let uuid = common::check_type_and_id(cx, object_type, object, path);
    let none = Spec::new(&[], &[], &[]);
    let spec = spec_of(object_type).unwrap_or(&none);
    check_object_props(cx, object, path, spec, &SCO_CORE, Unknown::Custom);
    common::check_orders(cx, object, path, orders_of(object_type));
    common::check_selectors(cx, object, path);
    sco_ext::check_predefined(cx, object_type, object, path);
    cross_property_rules(cx, object_type, object, path);
    if let Some(uuid) = uuid {
        check_id_version(cx, object_type, object, path, uuid);
    }
}

fn cross_property_rules(cx: &mut Cx, object_type: &str, o: &Map<String, Value>, path: &Path) {
    let has = |k: &str| o.contains_key(k);
    match object_type {
        // §6.1: payload_bin or url (with hashes), never both; a decryption key
        // only with an encryption algorithm.
        "artifact" => {
            if has("payload_bin") && has("url") {
                cx.error(
                    &path.key("url"),
                    "exclusive-properties",
                    "'payload_bin' and 'url' must not both be present",
                );
            } else if has("url") && !has("hashes") {
                cx.error(
                    &path.key("hashes"),
                    "required-property",
                    "an artifact with 'url' must have 'hashes'",
                );
            } else if !has("url") && !has("payload_bin") {
                cx.error(
                    &path.key("payload_bin"),
                    "required-property",
                    "an artifact needs 'payload_bin' or 'url'",
                );
            }
            if has("decryption_key") && !has("encryption_algorithm") {
                cx.error(
                    &path.key("decryption_key"),
                    "dependent-property",
                    "'decryption_key' needs 'encryption_algorithm'",
                );
            }
        }
        // §6.6: a multipart message has body_multipart and no body, and the reverse.
        "email-message" => match o.get("is_multipart") {
            Some(Value::Bool(true)) if has("body") => {
                cx.error(
                    &path.key("body"),
                    "exclusive-properties",
                    "a multipart message has no 'body'",
                );
            }
            Some(Value::Bool(false)) if has("body_multipart") => cx.error(
                &path.key("body_multipart"),
                "exclusive-properties",
                "a non-multipart message has no 'body_multipart'",
            ),
            _ => {}
        },
        // §6.12: an active flow has no end yet.
        "network-traffic" if o.get("is_active") == Some(&Value::Bool(true)) && has("end") => {
            cx.error(
                &path.key("end"),
                "exclusive-properties",
                "an active flow (is_active) has no 'end'",
            );
        }
        _ => {}
    }
}

/// §2.9 / §6: UUID versions of SCO ids.
fn check_id_version(
    cx: &mut Cx,
    object_type: &str,
    o: &Map<String, Value>,
    path: &Path,
    uuid: uuid::Uuid,
) {
    let Some(props) = contributing_properties(object_type) else {
        return;
    };
    let version = uuid.get_version_num();
    if props.is_empty() || !props.iter().any(|k| o.contains_key(*k)) {
        // No contributing property (or a process): the id is random, UUIDv4.
        // Types whose contributing properties include a required one cannot
        // lack them all; the required-property error says so already.
        let only_optional = matches!(
            object_type,
            "artifact"
                | "email-message"
                | "user-account"
                | "windows-registry-key"
                | "x509-certificate"
                | "process"
        );
        if only_optional && version != 4 {
            cx.error(
                &path.key("id"),
                "sco-id-version",
                "an SCO without ID contributing properties must have a UUIDv4 id",
            );
        }
        return;
    }
    if cx.embedded_in.is_some() {
        // Embedded references name dictionary keys, so the canonical
        // contributing values differ from the top-level form.
        return;
    }
    match deterministic_sco_id(o) {
        Some(expected) if o.get("id").and_then(Value::as_str) != Some(expected.as_str()) => cx
            .warning(
                &path.key("id"),
                "sco-id-deterministic",
                format!("the id should be the UUIDv5 of its contributing properties: {expected}"),
            ),
        _ => {}
    }
}

fn string_check(
    cx: &mut Cx,
    path: &Path,
    value: &Value,
    ok: fn(&str) -> bool,
    rule: &'static str,
    msg: &str,
) {
    match value.as_str() {
        Some(s) if ok(s) => {}
        Some(_) => cx.error(path, rule, msg),
        None => cx.error(path, "property-type", "must be a string"),
    }
}

fn mime_type(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        formats::is_mime_type,
        "mime-type",
        "must be an IANA media type 'type/subtype'",
    );
}

fn charset(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        formats::is_charset,
        "charset",
        "must be an IANA character set name",
    );
}

fn hostname(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        formats::is_hostname,
        "domain-name-format",
        "must be a domain name",
    );
}

fn email(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        |s| s.contains('@'),
        "email-format",
        "must be an e-mail address (addr-spec)",
    );
}

fn ipv4(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        formats::is_ipv4_cidr,
        "ipv4-format",
        "must be an IPv4 address or CIDR block",
    );
}

fn ipv6(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        formats::is_ipv6_cidr,
        "ipv6-format",
        "must be an IPv6 address or CIDR block",
    );
}

fn mac(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        formats::is_mac,
        "mac-format",
        "must be a lowercase, colon-delimited MAC address",
    );
}

fn cpe(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        formats::is_cpe23,
        "cpe-format",
        "must be a CPE 2.3 formatted string",
    );
}

/// §6.17: the hive is written in full, never abbreviated (HKLM...).
fn registry_key(cx: &mut Cx, path: &Path, v: &Value) {
    string_check(
        cx,
        path,
        v,
        |s| {
            let upper = s.get(..4).map(str::to_ascii_uppercase);
            !matches!(upper.as_deref(), Some("HKLM" | "HKCC" | "HKCR" | "HKCU"))
                && !s.get(..3).is_some_and(|h| h.eq_ignore_ascii_case("HKU"))
        },
        "registry-hive",
        "the registry hive must not be abbreviated (write HKEY_LOCAL_MACHINE, not HKLM)",
    );
}

/// §6.14: languages are RFC 5646 tags (ISO 639-2 codes are tolerated, as
/// stix2-validator does).
fn software_languages(cx: &mut Cx, path: &Path, v: &Value) {
    let Some(items) = super::props::non_empty_list(cx, path, v) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) if contains(LANG_CODES, s) || contains(SOFTWARE_LANG_CODES, s) => {}
            Some(s) => cx.error(
                &path.index(i),
                "lang-value",
                format!("{s:?} is not an RFC 5646 language tag"),
            ),
            None => cx.error(&path.index(i), "property-type", "must be a string"),
        }
    }
}
