// Jobs on a long-lived child process (the load generators), over IPC. The bench keeps one load
// generator for all its slices so that its code is warm (bench/load.mjs says why).

/**
 * A child started on first use and kept for later jobs; a new one once it has exited. stop() asks
 * it to exit ({type:'exit'}).
 */
export function keptChild(start) {
  let child = null;
  return {
    get() {
      if (child === null || child.exitCode !== null || !child.connected) child = start();
      return child;
    },
    stop() {
      if (child?.connected) child.send({ type: 'exit' });
      child = null;
    },
  };
}

/**
 * Sends `message` and resolves with the result of the child's {type:'result', result} reply;
 * rejects on {type:'error'} or if the child exits first. Other messages go to `onMessage`. The
 * listeners are removed on every outcome, so the child can take the next job.
 */
export function childJob(child, name, message, onMessage = () => {}) {
  return new Promise((resolve, reject) => {
    const done = () => {
      child.off('message', onReply);
      child.off('exit', onExit);
    };
    const onReply = (msg) => {
      if (msg.type === 'result') {
        done();
        resolve(msg.result);
      } else if (msg.type === 'error') {
        done();
        reject(new Error(`${name} failed: ${msg.error}`));
      } else {
        onMessage(msg);
      }
    };
    const onExit = (code) => {
      done();
      reject(new Error(`${name} exited with ${code} during a job`));
    };
    child.on('message', onReply);
    child.on('exit', onExit);
    child.send(message);
  });
}
