/* fuzz_envelope.c - fuzz target for everything that reads untrusted frame
 * bytes: the frame prefix, the request and reply headers, and a method body.
 *
 * Built two ways: with clang -fsanitize=fuzzer (FERRY_FUZZ=ON) as a libFuzzer
 * target, and otherwise with replay_main.c as a replay program that runs the
 * target over files given on the command line, which ctest does with the
 * seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "envelope.h"
#include "ferrytest/v1/probe.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    if (ferryi_frame_split(data, size, FERRYI_KIND_REQUEST, &f, why, sizeof why) == FERRY_OK) {
        Ferry__Wire__RequestHeader *h = NULL;
        if (ferryi_request_header_decode(&f, NULL, &h, why, sizeof why) == FERRY_OK) {
            ProtobufCMessage *body = protobuf_c_message_unpack(
                &ferrytest__v1__echo_request__descriptor, NULL, f.body_len, f.body);
            if (body != NULL)
                protobuf_c_message_free_unpacked(body, NULL);
            ferry__wire__request_header__free_unpacked(h, NULL);
        }
    }
    if (ferryi_frame_split(data, size, FERRYI_KIND_REPLY, &f, why, sizeof why) == FERRY_OK) {
        Ferry__Wire__ReplyHeader *h =
            ferry__wire__reply_header__unpack(NULL, f.header_len, f.header);
        if (h != NULL)
            ferry__wire__reply_header__free_unpacked(h, NULL);
    }
    return 0;
}
