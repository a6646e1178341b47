/*
 * cql.h: the constants of the Cassandra native protocol, v4 and v5.
 *
 * This is the bottom of cqlgate's layering: proto/ is a pure codec (bytes in, structs out) that
 * knows nothing of sockets, libuv, HTTP or logging. Every table here is an X-macro so the enum and
 * its name lookup cannot drift apart. Sections cited are from native_protocol_v4.spec and
 * native_protocol_v5.spec in apache/cassandra doc/.
 */
#ifndef CQL_H
#define CQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CQL_MUSTCHECK __attribute__((warn_unused_result))

/* ---- protocol versions ------------------------------------------------------------------------ */

#define CQL_VERSION_V4          4
#define CQL_VERSION_V5          5
#define CQL_VERSION_MASK        0x7f    /* low 7 bits of header byte 0 */
#define CQL_VERSION_RESPONSE    0x80    /* bit 7: direction, set on responses */

/* Version predicates: code asks these, never "v >= 5" (cpp-driver ProtocolVersion::supports_*). */
static inline bool cql_version_has_segments(int v) { return v >= CQL_VERSION_V5; }
static inline bool cql_version_has_int_flags(int v) { return v >= CQL_VERSION_V5; }
static inline bool cql_version_has_keyspace_param(int v) { return v >= CQL_VERSION_V5; }
static inline bool cql_version_has_result_metadata_id(int v) { return v >= CQL_VERSION_V5; }
static inline bool cql_version_has_failure_reasonmap(int v) { return v >= CQL_VERSION_V5; }
static inline bool cql_version_has_duration_id(int v) { return v >= CQL_VERSION_V5; }

/* ---- opcodes (section 2.4) ------------------------------------------------------------------- */

#define CQL_OPCODE_MAP(XX)                                                                         \
    XX(ERROR,          0x00)                                                                       \
    XX(STARTUP,        0x01)                                                                       \
    XX(READY,          0x02)                                                                       \
    XX(AUTHENTICATE,   0x03)                                                                       \
    XX(OPTIONS,        0x05)                                                                       \
    XX(SUPPORTED,      0x06)                                                                       \
    XX(QUERY,          0x07)                                                                       \
    XX(RESULT,         0x08)                                                                       \
    XX(PREPARE,        0x09)                                                                       \
    XX(EXECUTE,        0x0A)                                                                       \
    XX(REGISTER,       0x0B)                                                                       \
    XX(EVENT,          0x0C)                                                                       \
    XX(BATCH,          0x0D)                                                                       \
    XX(AUTH_CHALLENGE, 0x0E)                                                                       \
    XX(AUTH_RESPONSE,  0x0F)                                                                       \
    XX(AUTH_SUCCESS,   0x10)

enum cql_opcode {
#define XX(name, val) CQL_OP_##name = (val),
    CQL_OPCODE_MAP(XX)
#undef XX
};

/* ---- envelope header flags (section 2.2) ------------------------------------------------------ */

#define CQL_FLAG_COMPRESSION    0x01    /* v4 only; ignored in v5, where segments compress */
#define CQL_FLAG_TRACING        0x02
#define CQL_FLAG_CUSTOM_PAYLOAD 0x04
#define CQL_FLAG_WARNING        0x08
#define CQL_FLAG_USE_BETA       0x10

/* ---- consistency levels (section 3) ---------------------------------------------------------- */

#define CQL_CONSISTENCY_MAP(XX)                                                                    \
    XX(ANY,          0x0000)                                                                       \
    XX(ONE,          0x0001)                                                                       \
    XX(TWO,          0x0002)                                                                       \
    XX(THREE,        0x0003)                                                                       \
    XX(QUORUM,       0x0004)                                                                       \
    XX(ALL,          0x0005)                                                                       \
    XX(LOCAL_QUORUM, 0x0006)                                                                       \
    XX(EACH_QUORUM,  0x0007)                                                                       \
    XX(SERIAL,       0x0008)                                                                       \
    XX(LOCAL_SERIAL, 0x0009)                                                                       \
    XX(LOCAL_ONE,    0x000A)

enum cql_consistency {
#define XX(name, val) CQL_CL_##name = (val),
    CQL_CONSISTENCY_MAP(XX)
#undef XX
};

/* ---- query parameter flags (section 4.1.4); [byte] in v4, [int] in v5 ------------------------ */

#define CQL_QF_VALUES             0x0001
#define CQL_QF_SKIP_METADATA      0x0002
#define CQL_QF_PAGE_SIZE          0x0004
#define CQL_QF_PAGING_STATE       0x0008
#define CQL_QF_SERIAL_CONSISTENCY 0x0010
#define CQL_QF_DEFAULT_TIMESTAMP  0x0020
#define CQL_QF_NAMES_FOR_VALUES   0x0040
#define CQL_QF_KEYSPACE           0x0080    /* v5 */
#define CQL_QF_NOW_IN_SECONDS     0x0100    /* v5 */

/* PREPARE flags (v5, section 4.1.5). */
#define CQL_PF_KEYSPACE           0x01

/* BATCH types (section 4.1.7). */
#define CQL_BATCH_LOGGED          0
#define CQL_BATCH_UNLOGGED        1
#define CQL_BATCH_COUNTER         2

/* ---- result kinds and rows metadata flags (section 4.2.5) ------------------------------------ */

#define CQL_RESULT_KIND_MAP(XX)                                                                    \
    XX(VOID,          0x0001)                                                                      \
    XX(ROWS,          0x0002)                                                                      \
    XX(SET_KEYSPACE,  0x0003)                                                                      \
    XX(PREPARED,      0x0004)                                                                      \
    XX(SCHEMA_CHANGE, 0x0005)

enum cql_result_kind {
#define XX(name, val) CQL_RESULT_##name = (val),
    CQL_RESULT_KIND_MAP(XX)
#undef XX
};

#define CQL_MF_GLOBAL_TABLES_SPEC 0x0001
#define CQL_MF_HAS_MORE_PAGES     0x0002
#define CQL_MF_NO_METADATA        0x0004
#define CQL_MF_METADATA_CHANGED   0x0008    /* v5 */

/* ---- server error codes (section 9) ---------------------------------------------------------- */

#define CQL_ERRCODE_MAP(XX)                                                                        \
    XX(SERVER_ERROR,      0x0000, "Server error")                                                  \
    XX(PROTOCOL_ERROR,    0x000A, "Protocol error")                                                \
    XX(BAD_CREDENTIALS,   0x0100, "Bad credentials")                                               \
    XX(UNAVAILABLE,       0x1000, "Unavailable")                                                   \
    XX(OVERLOADED,        0x1001, "Overloaded")                                                    \
    XX(IS_BOOTSTRAPPING,  0x1002, "Is bootstrapping")                                              \
    XX(TRUNCATE_ERROR,    0x1003, "Truncate error")                                                \
    XX(WRITE_TIMEOUT,     0x1100, "Write timeout")                                                 \
    XX(READ_TIMEOUT,      0x1200, "Read timeout")                                                  \
    XX(READ_FAILURE,      0x1300, "Read failure")                                                  \
    XX(FUNCTION_FAILURE,  0x1400, "Function failure")                                              \
    XX(WRITE_FAILURE,     0x1500, "Write failure")                                                 \
    XX(CDC_WRITE_FAILURE, 0x1600, "CDC write failure")                                             \
    XX(CAS_WRITE_UNKNOWN, 0x1700, "CAS write unknown")                                             \
    XX(SYNTAX_ERROR,      0x2000, "Syntax error")                                                  \
    XX(UNAUTHORIZED,      0x2100, "Unauthorized")                                                  \
    XX(INVALID,           0x2200, "Invalid query")                                                 \
    XX(CONFIG_ERROR,      0x2300, "Configuration error")                                           \
    XX(ALREADY_EXISTS,    0x2400, "Already exists")                                                \
    XX(UNPREPARED,        0x2500, "Unprepared")

enum cql_errcode {
#define XX(name, val, desc) CQL_ERRCODE_##name = (val),
    CQL_ERRCODE_MAP(XX)
#undef XX
};

/* ---- data type ids (section 6 of the spec's [option]) ---------------------------------------- */

#define CQL_TYPE_MAP(XX)                                                                           \
    XX(CUSTOM,    0x0000, "custom")                                                                \
    XX(ASCII,     0x0001, "ascii")                                                                 \
    XX(BIGINT,    0x0002, "bigint")                                                                \
    XX(BLOB,      0x0003, "blob")                                                                  \
    XX(BOOLEAN,   0x0004, "boolean")                                                               \
    XX(COUNTER,   0x0005, "counter")                                                               \
    XX(DECIMAL,   0x0006, "decimal")                                                               \
    XX(DOUBLE,    0x0007, "double")                                                                \
    XX(FLOAT,     0x0008, "float")                                                                 \
    XX(INT,       0x0009, "int")                                                                   \
    XX(TIMESTAMP, 0x000B, "timestamp")                                                             \
    XX(UUID,      0x000C, "uuid")                                                                  \
    XX(VARCHAR,   0x000D, "text")                                                                  \
    XX(VARINT,    0x000E, "varint")                                                                \
    XX(TIMEUUID,  0x000F, "timeuuid")                                                              \
    XX(INET,      0x0010, "inet")                                                                  \
    XX(DATE,      0x0011, "date")                                                                  \
    XX(TIME,      0x0012, "time")                                                                  \
    XX(SMALLINT,  0x0013, "smallint")                                                              \
    XX(TINYINT,   0x0014, "tinyint")                                                               \
    XX(DURATION,  0x0015, "duration")                                                              \
    XX(LIST,      0x0020, "list")                                                                  \
    XX(MAP,       0x0021, "map")                                                                   \
    XX(SET,       0x0022, "set")                                                                   \
    XX(UDT,       0x0030, "udt")                                                                   \
    XX(TUPLE,     0x0031, "tuple")                                                                 \
    XX(VECTOR,    0x0100, "vector")  /* not a wire id: vectors travel as Custom VectorType */

enum cql_type_id {
#define XX(name, val, text) CQL_TYPE_##name = (val),
    CQL_TYPE_MAP(XX)
#undef XX
};

/* ---- codec results ---------------------------------------------------------------------------- */

/*
 * Decoders return the bytes consumed (>= 0) or one of these. They sit in a range of their own,
 * below libuv's error codes, so the layers above can pass both through one int.
 */
#define CQL_ERR_MAP(XX)                                                                            \
    XX(EAGAIN,   -5101, "more bytes are needed")                                                   \
    XX(EPROTO,   -5102, "malformed protocol data")                                                 \
    XX(ECRC,     -5103, "checksum mismatch")                                                       \
    XX(ETOOBIG,  -5104, "frame or segment too large")                                              \
    XX(ENOSPC,   -5105, "output buffer too small")                                                 \
    XX(ECOMPRESS,-5106, "compression failed")                                                      \
    XX(EVERSION, -5107, "unsupported protocol version")                                            \
    XX(ERANGE,   -5108, "value out of range")                                                      \
    XX(ETYPE,    -5109, "unknown or malformed type")                                               \
    XX(ENOMEM,   -5110, "allocator returned no memory")

enum cql_err {
#define XX(name, val, desc) CQL_##name = (val),
    CQL_ERR_MAP(XX)
#undef XX
};

/* ---- allocation ------------------------------------------------------------------------------ */

/*
 * proto/ never allocates by itself. Decoders that build variable-size results (type trees, column
 * specs) take one of these; it is normally a per-request arena, so nothing is ever freed singly.
 * alloc returns memory aligned for any type, or NULL (the decoder then fails with CQL_ENOMEM).
 */
struct cql_alloc {
    void *(*alloc)(void *ctx, size_t size);     /* bump allocation */
    void *ctx;                                  /* passed back to alloc */
};

static inline void *
cql_alloc(const struct cql_alloc *a, size_t size)
{
    return a->alloc(a->ctx, size);
}

/* ---- name lookups ---------------------------------------------------------------------------- */

const char *cql_opcode_name(int opcode);
const char *cql_consistency_name(int cl);
int cql_consistency_parse(const char *name, size_t len);   /* -1 when unknown; case-insensitive */
const char *cql_errcode_name(int code);                    /* "INVALID", ... */
const char *cql_errcode_desc(int code);                    /* "Invalid query", ... */
const char *cql_type_name(int type_id);                    /* "text", "bigint", ... */
const char *cql_err_name(int err);                         /* "EAGAIN", ... or NULL */
const char *cql_strerror(int err);                         /* static description */

#endif /* CQL_H */
