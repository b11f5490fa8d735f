/* The channel's control words: how a host's window starts out, and the
 * encoding of Claim, Close and the state that takes read. This is the only
 * place that knows the closed mark and the claim flag; Go does no arithmetic
 * on window words. The ring's put and take steps are in rma.c. */
#ifndef MPICHAN_CTRL_H
#define MPICHAN_CTRL_H

#include <mpi.h>
#include <stdint.h>
#include "rma.h"

/* The channel as its host sees it. */
typedef struct {
	int64_t len;     /* messages published, not yet taken */
	int64_t free;    /* free frames */
	int64_t claimed; /* messages claimed so far */
	int64_t taken;   /* messages taken so far */
	int64_t done;    /* tasks marked done so far (Tasks channels) */
	int claiming;    /* whether any claim has been made */
	int closed;
	int64_t failed;  /* 0, or the rank that failed the channel plus 1 */
} ctrl_state_t;

/* Bytes of a host's window after the slots for a failure's text: its
 * length, then at most FAIL_TEXT - 8 bytes of it. */
#define FAIL_TEXT 256

/* The largest claim one call may make. */
int64_t ctrl_max_claim(void);
/* Bytes of a host's window for cap slots of slot_size bytes. */
int64_t ctrl_window_bytes(int64_t cap, int64_t slot_size);
/* Writes the initial control and state words into a host's own window
 * memory, before the epoch opens. */
void ctrl_init(void *base, int64_t cap);
/* A number that changes whenever a put or take has touched the host's own
 * window memory (read locally, atomically). */
int64_t ctrl_activity(void *base);
/* Whether old, a free-frame count a put fetched, carries the closed mark. */
int ctrl_closed(int64_t old);

/* These return MPI_SUCCESS or an MPI error code. */
int ctrl_claim(ring_h h, int64_t n);
int ctrl_close(ring_h h);
int ctrl_done(ring_h h, int64_t n);
int ctrl_state(ring_h h, ctrl_state_t *out);
/* ctrl_fail fails the channel for good, once: the first rank to call it
 * writes its rank and text (cut to FAIL_TEXT - 8 bytes), then closes the
 * channel and takes every credit away, so that every later put and take
 * finds no room or no message and reads the state. */
int ctrl_fail(ring_h h, int64_t rank, const char *text, int64_t n);
/* ctrl_fail_text reads the failure's text into buf (FAIL_TEXT bytes) and
 * sets *n to its length. */
int ctrl_fail_text(ring_h h, char *buf, int64_t *n);

#endif
