/* C side of package rma: thin wrappers that complete each MPI operation
 * (flush) before returning, and the RemoteChannel protocol's steps
 * (docs/DESIGN.md). Go chains the steps, waits between them and owns
 * everything else; keeping the steps in C makes a put or a take a single
 * cgo call when nothing has to wait. */
#ifndef MPICHAN_RMA_H
#define MPICHAN_RMA_H

#include <mpi.h>
#include <stdint.h>

int rma_fetch_add(MPI_Win w, int t, MPI_Aint d, int64_t v, int64_t *old);
int rma_put(MPI_Win w, int t, MPI_Aint d, char *buf, int n);
int rma_alloc(MPI_Comm c, MPI_Aint size, MPI_Win *w, void **base);
int rma_alloc_shared(MPI_Comm c, MPI_Aint size, int host, MPI_Win *w, void **base, void **host_base);
int rma_poke(MPI_Win w, int self);
int rma_allreduce(MPI_Comm c, int64_t *in, int64_t *out, int n, int max);
int rma_dup(MPI_Comm c, MPI_Comm *out);
int rma_node(MPI_Comm c, int host, int parts, MPI_Comm *node, int *one, int *host_local);
int rma_comm_free(MPI_Comm *c);
int rma_rank(MPI_Comm c, int *r);
int rma_size(MPI_Comm c, int *s);
void rma_library(char *buf, int *n);
int rma_lib_max(void);
int rma_initialized(void);
int rma_finalized(void);

/* Control words at the start of a channel host's window, then cap state
 * words, then cap slots of slot_size bytes (8-byte header + frame), then
 * the failure's text (ctrl.h). free and taken are adjacent: one MPI call
 * updates both. failed is 0, or the rank that failed the channel plus 1
 * once the text is written; fails counts the ranks that tried. done counts
 * the tasks marked done on a Tasks channel (ctrl_done). 16 words keep the
 * slots aligned as with 8. */
enum { W_FREE, W_TAKEN, W_TAIL, W_AVAIL, W_HEAD, W_CLAIMED, W_FAILED, W_FAILS, W_DONE, CTRL_WORDS = 16 };

/* Results of a protocol step. */
enum {
	R_OK = 0,   /* done */
	R_NO = 1,   /* no room / no credit: nothing was changed */
	R_WAIT = 2, /* holds a ticket whose slots are not ready: call again */
	R_MORE = 3, /* read the first frame of a longer message: finish it */
	R_BAD = 4   /* a frame's count is out of range */
};

/* A channel's description lives in C memory; Go holds it as a ring_h, an
 * integer, which cgo need not inspect on every call as it must a pointer. */
typedef struct ring ring_t;
typedef uintptr_t ring_h;
ring_h ring_new(MPI_Win win, int host, int64_t cap, int64_t slot_size, void *shm);
void ring_free(ring_h h);
int ring_shared(ring_h h);
int ring_word(ring_h h, int w, int64_t v, int or, int64_t *old);
int ring_load(ring_h h, int w, int n, int64_t *out);
int ring_text(ring_h h, char *buf, int64_t n, int dir);

/* Slot s % cap serves tickets s, s+cap, s+2cap, ...; its state word says
 * where it is: free for the producer of ticket s, or holding ticket s's
 * first frame of a message, or a later frame. States only grow. */
#define ST_FREE(s) (3 * (int64_t)(s))
#define ST_START(s) (3 * (int64_t)(s) + 1)
#define ST_CONT(s) (3 * (int64_t)(s) + 2)

int ring_put(ring_h h, int64_t k, char *buf, char *data, int64_t len, int64_t *old, int64_t *ticket);
int ring_write(ring_h h, int64_t ticket, int64_t k, char *buf, char *data, int64_t len);
int ring_take(ring_h h, char *first, char **view, int64_t guess, int64_t *ticket, int64_t *k);
int ring_read(ring_h h, int64_t *ticket, char *first, char **view, int64_t *k);
int ring_release(ring_h h, int64_t ticket, int64_t k);
int ring_finish(ring_h h, int64_t ticket, int64_t k, char *rest);
int ring_put_many(ring_h h, int64_t n, const int64_t *count, char *buf, int64_t len, int64_t *old, int64_t *ticket);
int ring_write_many(ring_h h, int64_t ticket, int64_t n, const int64_t *count, char *buf, int64_t len);

/* A batch of takes (ring_take_many): credits held but not yet matched with
 * a message, tickets [next, end) held but not yet examined, the credits
 * available at the batch's start, and the n messages of the last call:
 * first ticket, frame count, offset in the caller's buffer; hit: the
 * guessed ticket was the batch's first. */
#define BATCH_MAX 64
typedef struct {
	int64_t credits, next, end, avail, n, partial, hit;
	int64_t ticket[BATCH_MAX], count[BATCH_MAX], off[BATCH_MAX];
} batch_t;
int ring_take_many(ring_h h, int64_t want, int64_t guess, char *buf, batch_t *b);

#endif
