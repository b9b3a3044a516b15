//! MISP object templates that concord maps: each relation of the template
//! to its MISP attribute type and STIX object path (see `observable`).
//! An object becomes one pattern (its `to_ids` attributes) and one
//! observed-data (the others); relations not listed here are reported.

/// One relation of a template: `(relation, MISP type, path spec)`.
pub(crate) type Relation = (&'static str, &'static str, &'static str);

const FILE: &[Relation] = &[
    ("filename", "filename", "file:name"),
    ("md5", "md5", "file:hashes.MD5"),
    ("sha1", "sha1", "file:hashes.SHA-1"),
    ("sha224", "sha224", "file:hashes.SHA-224"),
    ("sha256", "sha256", "file:hashes.SHA-256"),
    ("sha384", "sha384", "file:hashes.SHA-384"),
    ("sha512", "sha512", "file:hashes.SHA-512"),
    ("sha3-256", "sha3-256", "file:hashes.SHA3-256"),
    ("sha3-512", "sha3-512", "file:hashes.SHA3-512"),
    ("ssdeep", "ssdeep", "file:hashes.SSDEEP"),
    ("tlsh", "tlsh", "file:hashes.TLSH"),
    ("imphash", "imphash", "file:hashes.IMPHASH"),
    ("size-in-bytes", "size-in-bytes", "file:size"),
    ("mimetype", "mime-type", "file:mime_type"),
    ("path", "text", "file:parent_directory_ref.path"),
];

const DOMAIN_IP: &[Relation] = &[
    ("domain", "domain", "domain-name:value"),
    ("hostname", "hostname", "domain-name:x_misp_hostname"),
    ("ip", "ip-dst", "domain-name:resolves_to_refs.*.value"),
];

const URL: &[Relation] = &[
    ("url", "url", "url:value"),
    ("domain", "domain", "url:x_misp_domain"),
    ("host", "hostname", "url:x_misp_host"),
    ("port", "port", "url:x_misp_port"),
    ("scheme", "text", "url:x_misp_scheme"),
    ("resource_path", "text", "url:x_misp_resource_path"),
    ("query_string", "text", "url:x_misp_query_string"),
];

const IP_PORT: &[Relation] = &[
    ("ip", "ip-dst", "network-traffic:dst_ref.value"),
    ("ip-dst", "ip-dst", "network-traffic:dst_ref.value"),
    ("ip-src", "ip-src", "network-traffic:src_ref.value"),
    ("dst-port", "port", "network-traffic:dst_port"),
    ("src-port", "port", "network-traffic:src_port"),
    ("domain", "domain", "network-traffic:x_misp_domain"),
    ("hostname", "hostname", "network-traffic:x_misp_hostname"),
];

const NETWORK_CONNECTION: &[Relation] = &[
    ("ip-src", "ip-src", "network-traffic:src_ref.value"),
    ("ip-dst", "ip-dst", "network-traffic:dst_ref.value"),
    ("src-port", "port", "network-traffic:src_port"),
    ("dst-port", "port", "network-traffic:dst_port"),
    (
        "hostname-src",
        "hostname",
        "network-traffic:x_misp_hostname_src",
    ),
    (
        "hostname-dst",
        "hostname",
        "network-traffic:x_misp_hostname_dst",
    ),
    ("layer3-protocol", "text", "network-traffic:protocols.*"),
    ("layer4-protocol", "text", "network-traffic:protocols.*"),
    ("layer7-protocol", "text", "network-traffic:protocols.*"),
];

const EMAIL: &[Relation] = &[
    ("from", "email-src", "email-message:from_ref.value"),
    (
        "from-display-name",
        "email-src-display-name",
        "email-message:from_ref.display_name",
    ),
    ("to", "email-dst", "email-message:to_refs.*.value"),
    ("cc", "email-dst", "email-message:cc_refs.*.value"),
    ("subject", "email-subject", "email-message:subject"),
    (
        "reply-to",
        "email-reply-to",
        "email-message:additional_header_fields.reply_to",
    ),
    (
        "x-mailer",
        "email-x-mailer",
        "email-message:additional_header_fields.x_mailer",
    ),
    ("message-id", "email-message-id", "email-message:message_id"),
    ("email-body", "email-body", "email-message:body"),
    (
        "attachment",
        "email-attachment",
        "email-message:body_multipart.*.body_raw_ref.name",
    ),
];

/// The relations of a template concord maps, `None` for any other
/// template.
pub(crate) fn relations(template: &str) -> Option<&'static [Relation]> {
    Some(match template {
        "file" => FILE,
        "domain-ip" | "domain|ip" => DOMAIN_IP,
        "url" => URL,
        "ip-port" | "ip|port" => IP_PORT,
        "network-connection" => NETWORK_CONNECTION,
        "email" => EMAIL,
        _ => return None,
    })
}

/// The template whose objects have `object_type` at their root, for STIX
/// that did not come from MISP.
pub(crate) fn template_for_root(object_type: &str, has_protocols: bool) -> Option<&'static str> {
    Some(match object_type {
        "file" => "file",
        "domain-name" => "domain-ip",
        "url" => "url",
        "network-traffic" if has_protocols => "network-connection",
        "network-traffic" => "ip-port",
        "email-message" => "email",
        _ => return None,
    })
}

/// The relation and MISP type of a path (rendered as a pattern would
/// write it) in a template.
pub(crate) fn relation_of_path(
    template: &str,
    rendered: &str,
) -> Option<(&'static str, &'static str)> {
    relations(template)?.iter().find_map(|(rel, ty, spec)| {
        let (t, rest) = spec.split_once(':')?;
        let steps: Vec<&str> = rest.split('.').collect();
        (crate::observable::path(t, &steps).to_string() == rendered).then_some((*rel, *ty))
    })
}
