// A camera that sends a frame every FRAME_MS to a handler (the server's OpenCV scanner),
// shared by the clerk window and the kiosk. The handler answers "done" (stop), "pause" (a
// refused code stays in view: do not ask again for a while) or anything else (keep going).
"use strict";
const CodeIdCamera = (() => {
  const FRAME_MS = 800;
  const PAUSE_MS = 3000;

  function create({ facingMode, onFrame, onError, onState }) {
    const $ = (id) => document.getElementById(id);
    const camera = { stream: null, timer: null, busy: false, pausedUntil: 0 };

    function show(on) {
      const video = $("camera");
      video.hidden = !on;
      if (!on) video.srcObject = null;
      $("camera-start").hidden = on;
      $("camera-stop").hidden = !on;
      onState(on);
    }

    async function start() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { onError(null); return; }
      try {
        camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode }, audio: false });
      } catch (e) {
        onError(null);
        return;
      }
      const video = $("camera");
      video.srcObject = camera.stream;
      show(true);
      await video.play().catch(() => {});
      camera.timer = setInterval(grab, FRAME_MS);
    }

    function stop() {
      clearInterval(camera.timer);
      camera.timer = null;
      if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
      camera.stream = null;
      show(false);
    }

    function grab() {
      const video = $("camera");
      if (camera.busy || !camera.stream || Date.now() < camera.pausedUntil || !video.videoWidth) return;
      camera.busy = true;
      const canvas = $("frame");
      const scale = Math.min(1, 1280 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(async (blob) => {
        try {
          if (!blob || !camera.stream) return;
          const outcome = await onFrame(blob);
          if (outcome === "done") stop();
          else if (outcome === "pause") camera.pausedUntil = Date.now() + PAUSE_MS;
        } catch (e) {
          stop();
          onError(e);
        } finally {
          camera.busy = false;
        }
      }, "image/jpeg", 0.85);
    }

    return { start, stop, get on() { return camera.stream !== null; } };
  }

  return { create };
})();
