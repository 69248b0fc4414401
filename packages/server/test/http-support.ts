import { request, type IncomingHttpHeaders } from 'node:http';

/**
 * One HTTP request to 127.0.0.1:`port` on a connection of its own (none left idle for a server to
 * close under the next one): its status, headers and body as text.
 */
export function plainRequest(port: number, body: string, path = '/', method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
