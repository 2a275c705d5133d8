#!/usr/bin/env node
// Installs the system libraries the addon links, the ffmpeg CLI used by tests and demos,
// Chromium (a WebRTC peer of the tests) and clang with libFuzzer (the fuzz targets).
// Debian/Ubuntu as root: apt-get. Anywhere else: print the exact command and stop, so the
// build never fails later with a cryptic missing-header error.
'use strict';
const { execSync, spawnSync } = require('child_process');
const fs = require('fs');

const DEBIAN_PACKAGES = [
  'pkg-config', 'libavcodec-dev', 'libavutil-dev', 'libyuv-dev', 'libopus-dev',
  'libsrtp2-dev', 'libssl-dev', 'libopenh264-dev', 'libvpx-dev', 'ffmpeg', 'chromium',
  // libFuzzer for the fuzz targets (npm run fuzz)
  'clang', 'libclang-rt-14-dev',
];
const VCPKG_LINE = 'vcpkg install ffmpeg[avcodec,x264,openh264]:x64-windows libvpx:x64-windows libyuv:x64-windows opus:x64-windows libsrtp:x64-windows openssl:x64-windows';

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function missingDebianPackages() {
  return DEBIAN_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

function main() {
  if (process.env.CALLMEDIA_SKIP_DEPS === '1') return;
  if (process.platform === 'win32') {
    console.log(`callmedia: on Windows install the native libraries with vcpkg:\n  ${VCPKG_LINE}\n` +
      'and set VCPKG_ROOT before npm install.');
    return;
  }
  if (process.platform !== 'linux' || !has('dpkg-query') || !has('apt-get')) {
    console.log('callmedia: not a Debian/Ubuntu system; install FFmpeg (libavcodec), libyuv, opus, ' +
      'libsrtp2, OpenSSL, openh264 development files and pkg-config with your package manager (and Chromium for the tests).');
    return;
  }
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`callmedia: missing system packages: ${missing.join(' ')}\nRun as root:\n  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
  console.log(`callmedia: installing ${missing.join(' ')}`);
  execSync(cmd, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

main();
