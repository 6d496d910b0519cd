// The cluster demo's page (demo/cluster.html): which instance this page is on, the ticks of
// both, a chat, and the control that restarts the instance the page is connected to.
const socket = document.getElementById('socket');
const messages = document.getElementById('messages');
const ticks = new Map();

function line(text) {
  const item = document.createElement('li');
  item.textContent = text;
  messages.append(item);
}

socket.addEventListener('hello', (event) => {
  document.getElementById('instance').textContent = event.detail.instance;
  line(`Connected to instance ${event.detail.instance}.`);
});
socket.addEventListener('tick', (event) => {
  ticks.set(event.detail.instance, event.detail.tick);
  document.getElementById('ticks').textContent = [...ticks].sort().map(([name, tick]) => `${name} #${tick}`).join(', ');
});
socket.addEventListener('chat', (event) => line(`${event.detail.client} (via ${event.detail.instance}): ${event.detail.text}`));
socket.addEventListener('close', (event) => line(`Disconnected (${event.detail.code}${event.detail.reason ? ` ${event.detail.reason}` : ''}).`));

document.getElementById('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const say = document.getElementById('say');
  socket.send('chat', say.value);
  say.value = '';
});

document.getElementById('restart').addEventListener('click', async () => {
  try {
    const { instance } = await socket.request('restart');
    line(`Instance ${instance} is restarting; this page reconnects through the proxy.`);
  } catch (error) {
    line(`Could not restart: ${error.message}`);
  }
});
