//! The predefined SCO extensions (§6.5.2 file, §6.12.2 network-traffic,
//! §6.11.2 process, §6.16.2 user-account): each one's property table and
//! "at least one of" rule. The shape every extension shares (key form,
//! non-empty object, property names) is checked in `common::check_extensions`.

use serde_json::{Map, Value};

use super::props::{Kind, Refs, Spec, check_value, p};
use super::vocab::*;
use super::{Cx, Path};

const fn to_list(types: &'static [&'static str]) -> Kind {
    Kind::RefList(Refs::To(types))
}
const NON_NEGATIVE: Kind = Kind::Int(0, i64::MAX);
const INT: Kind = Kind::Int(i64::MIN, i64::MAX);

const ALTERNATE_DATA_STREAM: Spec = Spec::new(
    &["name"],
    &[],
    &[
        p("name", Kind::Str),
        p("hashes", Kind::Hashes),
        p("size", NON_NEGATIVE),
    ],
);

const NTFS_EXT: Spec = Spec::new(
    &[],
    &["sid", "alternate_data_streams"],
    &[
        p("sid", Kind::Str),
        p(
            "alternate_data_streams",
            Kind::ObjectList(&ALTERNATE_DATA_STREAM),
        ),
    ],
);

const RASTER_IMAGE_EXT: Spec = Spec::new(
    &[],
    &["image_height", "image_width", "bits_per_pixel", "exif_tags"],
    &[
        p("image_height", INT),
        p("image_width", INT),
        p("bits_per_pixel", INT),
        p("exif_tags", Kind::Dict),
    ],
);

const PDF_EXT: Spec = Spec::new(
    &[],
    &[
        "version",
        "is_optimized",
        "document_info_dict",
        "pdfid0",
        "pdfid1",
    ],
    &[
        p("version", Kind::Str),
        p("is_optimized", Kind::Bool),
        p("document_info_dict", Kind::Dict),
        p("pdfid0", Kind::Str),
        p("pdfid1", Kind::Str),
    ],
);

const ARCHIVE_EXT: Spec = Spec::new(
    &["contains_refs"],
    &[],
    &[
        p("contains_refs", to_list(&["directory", "file"])),
        p("comment", Kind::Str),
    ],
);

const PE_OPTIONAL_HEADER: Spec = Spec {
    required: &[],
    any_of: &[],
    closed: true,
    props: &[
        p("magic_hex", Kind::Hex),
        p("major_linker_version", INT),
        p("minor_linker_version", INT),
        p("size_of_code", NON_NEGATIVE),
        p("size_of_initialized_data", NON_NEGATIVE),
        p("size_of_uninitialized_data", NON_NEGATIVE),
        p("address_of_entry_point", INT),
        p("base_of_code", INT),
        p("base_of_data", INT),
        p("image_base", INT),
        p("section_alignment", INT),
        p("file_alignment", INT),
        p("major_os_version", INT),
        p("minor_os_version", INT),
        p("major_image_version", INT),
        p("minor_image_version", INT),
        p("major_subsystem_version", INT),
        p("minor_subsystem_version", INT),
        p("win32_version_value_hex", Kind::Hex),
        p("size_of_image", NON_NEGATIVE),
        p("size_of_headers", NON_NEGATIVE),
        p("checksum_hex", Kind::Hex),
        p("subsystem_hex", Kind::Hex),
        p("dll_characteristics_hex", Kind::Hex),
        p("size_of_stack_reserve", NON_NEGATIVE),
        p("size_of_stack_commit", NON_NEGATIVE),
        p("size_of_heap_reserve", NON_NEGATIVE),
        p("size_of_heap_commit", NON_NEGATIVE),
        p("loader_flags_hex", Kind::Hex),
        p("number_of_rva_and_sizes", INT),
        p("hashes", Kind::Hashes),
    ],
};

const PE_SECTION: Spec = Spec::new(
    &["name"],
    &[],
    &[
        p("name", Kind::Str),
        p("size", NON_NEGATIVE),
        p("entropy", Kind::Num(f64::NEG_INFINITY, f64::INFINITY)),
        p("hashes", Kind::Hashes),
    ],
);

const WINDOWS_PEBINARY_EXT: Spec = Spec::new(
    &["pe_type"],
    &[
        "imphash",
        "machine_hex",
        "number_of_sections",
        "time_date_stamp",
        "pointer_to_symbol_table_hex",
        "number_of_symbols",
        "size_of_optional_header",
        "characteristics_hex",
        "file_header_hashes",
        "optional_header",
        "sections",
    ],
    &[
        p("pe_type", Kind::Vocab(WINDOWS_PEBINARY_TYPE_OV)),
        p("imphash", Kind::Str),
        p("machine_hex", Kind::Hex),
        p("number_of_sections", NON_NEGATIVE),
        p("time_date_stamp", Kind::TimestampSeconds),
        p("pointer_to_symbol_table_hex", Kind::Hex),
        p("number_of_symbols", NON_NEGATIVE),
        p("size_of_optional_header", NON_NEGATIVE),
        p("characteristics_hex", Kind::Hex),
        p("file_header_hashes", Kind::Hashes),
        p("optional_header", Kind::Object(&PE_OPTIONAL_HEADER)),
        p("sections", Kind::ObjectList(&PE_SECTION)),
    ],
);

const HTTP_REQUEST_EXT: Spec = Spec::new(
    &["request_method", "request_value"],
    &[],
    &[
        p("request_method", Kind::Str),
        p("request_value", Kind::Str),
        p("request_version", Kind::Str),
        p("request_header", Kind::Dict),
        p("message_body_length", INT),
        p("message_body_data_ref", Kind::Ref(Refs::To(&["artifact"]))),
    ],
);

const ICMP_EXT: Spec = Spec::new(
    &["icmp_type_hex", "icmp_code_hex"],
    &[],
    &[p("icmp_type_hex", Kind::Hex), p("icmp_code_hex", Kind::Hex)],
);

const SOCKET_EXT: Spec = Spec::new(
    &["address_family"],
    &[],
    &[
        p(
            "address_family",
            Kind::Enum(NETWORK_SOCKET_ADDRESS_FAMILY_ENUM),
        ),
        p("is_blocking", Kind::Bool),
        p("is_listening", Kind::Bool),
        p("options", Kind::Dict),
        p("socket_type", Kind::Enum(NETWORK_SOCKET_TYPE_ENUM)),
        p("socket_descriptor", NON_NEGATIVE),
        p("socket_handle", INT),
    ],
);

const TCP_EXT: Spec = Spec::new(
    &[],
    &["src_flags_hex", "dst_flags_hex"],
    &[p("src_flags_hex", Kind::Hex), p("dst_flags_hex", Kind::Hex)],
);

const WINDOWS_PROCESS_EXT: Spec = Spec::new(
    &[],
    &[
        "aslr_enabled",
        "dep_enabled",
        "priority",
        "owner_sid",
        "window_title",
        "startup_info",
    ],
    &[
        p("aslr_enabled", Kind::Bool),
        p("dep_enabled", Kind::Bool),
        p("priority", Kind::Str),
        p("owner_sid", Kind::Str),
        p("window_title", Kind::Str),
        p("startup_info", Kind::Dict),
        p("integrity_level", Kind::Enum(WINDOWS_INTEGRITY_LEVEL_ENUM)),
    ],
);

const WINDOWS_SERVICE_EXT: Spec = Spec::new(
    &[],
    &[
        "service_name",
        "descriptions",
        "display_name",
        "group_name",
        "start_type",
        "service_dll_refs",
        "service_type",
        "service_status",
    ],
    &[
        p("service_name", Kind::Str),
        p("descriptions", Kind::StrList),
        p("display_name", Kind::Str),
        p("group_name", Kind::Str),
        p("start_type", Kind::Enum(WINDOWS_SERVICE_START_TYPE_ENUM)),
        p("service_dll_refs", to_list(&["file"])),
        p("service_type", Kind::Enum(WINDOWS_SERVICE_TYPE_ENUM)),
        p("service_status", Kind::Enum(WINDOWS_SERVICE_STATUS_ENUM)),
    ],
);

const UNIX_ACCOUNT_EXT: Spec = Spec::new(
    &[],
    &["gid", "groups", "home_dir", "shell"],
    &[
        p("gid", Kind::Num(f64::NEG_INFINITY, f64::INFINITY)),
        p("groups", Kind::StrList),
        p("home_dir", Kind::Str),
        p("shell", Kind::Str),
    ],
);

fn extension_spec(object_type: &str, name: &str) -> Option<&'static Spec> {
    Some(match (object_type, name) {
        ("file", "ntfs-ext") => &NTFS_EXT,
        ("file", "raster-image-ext") => &RASTER_IMAGE_EXT,
        ("file", "pdf-ext") => &PDF_EXT,
        ("file", "archive-ext") => &ARCHIVE_EXT,
        ("file", "windows-pebinary-ext") => &WINDOWS_PEBINARY_EXT,
        ("network-traffic", "http-request-ext") => &HTTP_REQUEST_EXT,
        ("network-traffic", "icmp-ext") => &ICMP_EXT,
        ("network-traffic", "socket-ext") => &SOCKET_EXT,
        ("network-traffic", "tcp-ext") => &TCP_EXT,
        ("process", "windows-process-ext") => &WINDOWS_PROCESS_EXT,
        ("process", "windows-service-ext") => &WINDOWS_SERVICE_EXT,
        ("user-account", "unix-account-ext") => &UNIX_ACCOUNT_EXT,
        _ => return None,
    })
}

/// Checks the predefined extensions an SCO carries against their tables.
pub(crate) fn check_predefined(
    cx: &mut Cx,
    object_type: &str,
    object: &Map<String, Value>,
    path: &Path,
) {
    let Some(Value::Object(extensions)) = object.get("extensions") else {
        return;
    };
    let ext_path = path.key("extensions");
    for (name, ext) in extensions {
        if let Some(spec) = extension_spec(object_type, name)
            && ext.is_object()
        {
            check_value(cx, &ext_path.key(name), ext, Kind::Object(spec));
        }
    }
}
