// The engine's code on transparent huge pages.
//
// Every init the engine clones starts as a copy of the engine's address
// space. Its code is a private file mapping, whose page tables fork does
// not copy: each init faults the pages it runs back in (4 KiB at a time,
// sixteen around each fault) and its exec unmaps them one by one again.
// On a virtualised host every one of those page-table writes is costly;
// over a batch they were about a tenth of all CPU. Copied once onto
// anonymous 2 MiB pages, the code is shared with each init by a few
// page-middle-directory entries that fork copies and exec drops.
//
// Only the long-lived engines do it (a daemon, a batch of 100 or more):
// the copy (the binary's code, about 5 MiB, onto 6 MiB of huge pages of
// the engine's own) takes 10-20 ms, more than a few containers' faults.
#pragma once

#include <cstddef>

namespace ringc {

// Moves the program's executable segment onto anonymous huge pages at the
// same addresses (mremap over it: the bytes the CPU runs do not change).
// Returns the bytes now on huge-page-aligned ground, 0 when it did nothing:
// transparent huge pages off ("never"), a sanitizer build, RINGC_HUGETEXT=0
// in the environment (for perf, whose symbols come from the file mapping),
// or a step refused (the code stays where it was, as mapped).
size_t text_on_huge_pages();

}  // namespace ringc
