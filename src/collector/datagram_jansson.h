/*
 * datagram_jansson: the former jansson datagram decoder, the reference
 * for the differential test and the fuzz target (see datagram_jansson.c).
 * Not used by the program.
 */
#ifndef TLSRPT_COLLECTOR_DATAGRAM_JANSSON_H
#define TLSRPT_COLLECTOR_DATAGRAM_JANSSON_H

#include "collector/datagram.h"

/* Same contract as datagram_decode() (datagram.h); decodes through a
 * jansson tree. */
int datagram_decode_jansson(const char *data, size_t len, int64_t day,
			    struct datagram_batch *b, struct datagram_info *info,
			    struct err *err);

/* Decodes data[0..len) with both datagram_decode() and the reference
 * and compares: the count, the reason and remarks, the message (unless it
 * is about the JSON syntax, which each library words its own way) and
 * every field of every result.  Returns 1 when they agree, 0 when not
 * (why[0..cap) says how). */
int datagram_decoders_agree(const char *data, size_t len, char *why, size_t cap);

#endif
