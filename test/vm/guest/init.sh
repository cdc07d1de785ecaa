#!/bin/busybox sh
# PID 1 of a VM test guest: mount the basics, load Debian's virtio/ext4 modules (6.1 only; the
# tiny 6.12 kernels have them built in) and the guest's blksnap modules, run the suite in one
# node process, reboot (qemu runs with -no-reboot, so it exits). The host reads what the
# suite printed between VMTEST markers and the JSON it left on the result disk.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /tmp/state /mnt/store
# Loopback for the web mode (127.0.0.1).
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
echo "VMTEST-BOOT kernel=$(uname -r) guest=$vmtest uptime=$(cut -d' ' -f1 /proc/uptime)"
kver=$(uname -r)
if [ -f "/boot-modules/$kver/order" ]; then
  for m in $(cat "/boot-modules/$kver/order"); do
    insmod "/boot-modules/$kver/$m" 2>/dev/null || echo "VMTEST-INIT insmod $m failed (not needed on this CPU?)"
  done
fi
if [ -f "/modules/$vmtest/order" ]; then
  for m in $(cat "/modules/$vmtest/order"); do
    insmod "/modules/$vmtest/$m" || echo "VMTEST-INIT insmod $m FAILED"
  done
fi
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vdc ] && break; sleep 0.5; done
export HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_STATE_HOME=/tmp/state
node /app/vm/suite.mjs --guest "$vmtest"
echo "VMTEST-EXIT code=$? uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
reboot -f
