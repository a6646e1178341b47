/*
 * http_conn.h: one client connection: llhttp glue, keep-alive, pipelining order, limits,
 * timeouts, backpressure and the write path. Private to src/http: the server creates
 * connections as it accepts them, and http_msg.c hands answers back through
 * http_conn__answered. Handlers never see this struct.
 */
#ifndef HTTP_CONN_H
#define HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>
#include <uv.h>

#include "http/http_msg.h"
#include "http/http_server.h"

struct http_conn {
    uv_tcp_t            tcp;        /* the client socket */
    uv_timer_t          timer;      /* header deadline, idle, body, send and linger timeouts */
    uv_write_t          wreq;       /* the pending write */
    uv_shutdown_t       sreq;       /* the pending shutdown of a lingering close */
    llhttp_t            parser;     /* push parser; its callbacks only record */
    struct http_server *srv;        /* owner: limits, router, read buffer, lists */
    struct http_conn   *prev;       /* srv->conns */
    struct http_conn   *next;
    struct http_conn   *dprev;      /* srv->dirty, while dirty */
    struct http_conn   *dnext;
    struct http_req    *q_head;     /* requests in arrival order, until their answer is written */
    struct http_req    *q_tail;     /* newest request (the one being parsed, if any) */
    struct http_req    *cur;        /* request being parsed, or NULL between requests */
    struct http_req    *done;       /* request llhttp just completed (set by on_message_complete) */
    struct http_req    *wlist;      /* requests whose bytes the pending write holds */
    size_t              nqueued;    /* requests in q_head..q_tail */
    size_t              out_bytes;  /* answer body bytes not yet written */
    uv_buf_t           *iov;        /* buffers of the next write */
    size_t              iov_cap;    /* slots in iov */
    char               *pending;    /* bytes received but not parsed while reading is paused */
    size_t              pending_len;/* bytes in pending */
    uint64_t            id;         /* for log lines */
    char                name[80];   /* "H-<id> <peer>" */
    uint64_t            hdr_deadline; /* loop time the current header block must end by, or 0 */
    uint64_t            last_io;    /* loop time of the last read or write progress */
    size_t              wq_size;    /* bytes the pending write still held at the last check */
    int                 handles;    /* handles not yet closed */
    unsigned            reading:1;  /* uv_read_start is in effect */
    unsigned            writing:1;  /* wreq is pending */
    unsigned            dirty:1;    /* on srv->dirty */
    unsigned            paused:1;   /* reading stopped by backpressure */
    unsigned            no_more:1;  /* no further request will be read (close after the last) */
    unsigned            close_after_write:1; /* the response being written closes the connection */
    unsigned            draining:1; /* the server is stopping */
    unsigned            lingering:1;/* answered and shut down; discarding input until EOF */
    unsigned            closing:1;  /* uv_close was called */
};

/* Accepts a connection on LISTENER for S. Over the limit it is accepted and closed at once. */
void http_conn__accept(struct http_server *s, uv_stream_t *listener);

/* REQ (of C) has its answer; it is written in turn at the next flush. */
void http_conn__answered(struct http_conn *c, struct http_req *req);

/* Writes every answer that is next in order (one write for all), called once per iteration. */
void http_conn__flush(struct http_conn *c);

/* The server is stopping: close C now when idle, else after its requests in flight. */
void http_conn__drain(struct http_conn *c);

/* Closes C at once; requests still with their handler are detached. */
void http_conn__close(struct http_conn *c);

#endif /* HTTP_CONN_H */
