;; CBT map levels in WebAssembly, for the service (levels.ts loads it; the page keeps the
;; JavaScript of shared/cbtLevels.ts, whose results these must equal). A level `shift` >= 3
;; has buckets of 2^shift blocks, each holding its largest change number and its count of
;; changed (non-zero) blocks; the pass also counts blocks per change number 1-255. The map is
;; read sixteen blocks at a time: an all-zero vector costs one test, a vector of one value one
;; more; maxima come from vector max, counts from a bitmask's popcount. The histogram has four
;; tables (byte k of every four adds to table k % 4) so that neighbouring equal values do not
;; wait on one counter; the caller adds them up and derives the zero count from the total.
;;
;; Memory is the caller's to lay out: the four tables (4 x 256 x u32) at $hist, the map padded
;; with zeros to whole buckets and to 16 bytes, the outputs zeroed. Built by build/wat.mjs into
;; bytes.ts; a test rebuilds it and compares.
(module
  (memory (export "memory") 1)

  ;; The histogram of the vector $x read at $p.
  (func $histogram16 (param $p i32) (param $x v128) (param $hist i32)
    (local $v i32) (local $q i32) (local $a i32)
    (local.set $v (i8x16.extract_lane_u 0 (local.get $x)))
    (if (i8x16.all_true (i8x16.eq (local.get $x) (i8x16.splat (local.get $v))))
      (then
        (local.set $a (i32.add (local.get $hist) (i32.shl (local.get $v) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 16)))
        (return)))
    (local.set $q (local.get $p))
    (loop $four
      (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=0 (local.get $q)) (i32.const 2))))
      (i32.store offset=0 (local.get $a) (i32.add (i32.load offset=0 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=1 (local.get $q)) (i32.const 2))))
      (i32.store offset=1024 (local.get $a) (i32.add (i32.load offset=1024 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=2 (local.get $q)) (i32.const 2))))
      (i32.store offset=2048 (local.get $a) (i32.add (i32.load offset=2048 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $hist) (i32.shl (i32.load8_u offset=3 (local.get $q)) (i32.const 2))))
      (i32.store offset=3072 (local.get $a) (i32.add (i32.load offset=3072 (local.get $a)) (i32.const 1)))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br_if $four (i32.lt_u (local.get $q) (i32.add (local.get $p) (i32.const 16))))))

  ;; Level 3: each vector is two buckets of eight blocks; counts are bytes.
  (func (export "level3") (param $map i32) (param $end i32) (param $max i32) (param $changed i32) (param $hist i32)
    (local $p i32) (local $o i32) (local $x v128) (local $y v128) (local $mask i32)
    (local.set $p (local.get $map))
    (block $done
      (loop $vector
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (v128.load (local.get $p)))
        (if (v128.any_true (local.get $x))
          (then
            (call $histogram16 (local.get $p) (local.get $x) (local.get $hist))
            (local.set $y (i8x16.max_u (local.get $x) (i8x16.shuffle 1 0 3 2 5 4 7 6 9 8 11 10 13 12 15 14 (local.get $x) (local.get $x))))
            (local.set $y (i8x16.max_u (local.get $y) (i8x16.shuffle 2 3 0 1 6 7 4 5 10 11 8 9 14 15 12 13 (local.get $y) (local.get $y))))
            (local.set $y (i8x16.max_u (local.get $y) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $y) (local.get $y))))
            (i32.store8 offset=0 (i32.add (local.get $max) (local.get $o)) (i8x16.extract_lane_u 0 (local.get $y)))
            (i32.store8 offset=1 (i32.add (local.get $max) (local.get $o)) (i8x16.extract_lane_u 8 (local.get $y)))
            (local.set $mask (i8x16.bitmask (i8x16.ne (local.get $x) (v128.const i64x2 0 0))))
            (i32.store8 offset=0 (i32.add (local.get $changed) (local.get $o)) (i32.popcnt (i32.and (local.get $mask) (i32.const 0xff))))
            (i32.store8 offset=1 (i32.add (local.get $changed) (local.get $o)) (i32.popcnt (i32.shr_u (local.get $mask) (i32.const 8))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 2)))
        (br $vector))))

  ;; Level $shift >= 4: each bucket is 2^($shift - 4) vectors; counts are $width bytes (1, 2 or 4).
  (func (export "levelWide") (param $map i32) (param $end i32) (param $shift i32) (param $max i32) (param $changed i32) (param $width i32) (param $hist i32)
    (local $p i32) (local $b i32) (local $bucketEnd i32) (local $x v128) (local $acc v128) (local $count i32)
    (local.set $p (local.get $map))
    (block $done
      (loop $bucket
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $bucketEnd (i32.add (local.get $p) (i32.shl (i32.const 1) (local.get $shift))))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $count (i32.const 0))
        (loop $vector
          (local.set $x (v128.load (local.get $p)))
          (if (v128.any_true (local.get $x))
            (then
              (call $histogram16 (local.get $p) (local.get $x) (local.get $hist))
              (local.set $acc (i8x16.max_u (local.get $acc) (local.get $x)))
              (local.set $count (i32.add (local.get $count)
                (i32.popcnt (i8x16.bitmask (i8x16.ne (local.get $x) (v128.const i64x2 0 0))))))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $vector (i32.lt_u (local.get $p) (local.get $bucketEnd))))
        (if (local.get $count)
          (then
            (local.set $acc (i8x16.max_u (local.get $acc) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc))))
            (local.set $acc (i8x16.max_u (local.get $acc) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $acc) (local.get $acc))))
            (local.set $acc (i8x16.max_u (local.get $acc) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $acc) (local.get $acc))))
            (local.set $acc (i8x16.max_u (local.get $acc) (i8x16.shuffle 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 (local.get $acc) (local.get $acc))))
            (i32.store8 (i32.add (local.get $max) (local.get $b)) (i8x16.extract_lane_u 0 (local.get $acc)))
            (if (i32.eq (local.get $width) (i32.const 1))
              (then (i32.store8 (i32.add (local.get $changed) (local.get $b)) (local.get $count)))
              (else
                (if (i32.eq (local.get $width) (i32.const 2))
                  (then (i32.store16 (i32.add (local.get $changed) (i32.shl (local.get $b) (i32.const 1))) (local.get $count)))
                  (else (i32.store (i32.add (local.get $changed) (i32.shl (local.get $b) (i32.const 2))) (local.get $count))))))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bucket))))
)
