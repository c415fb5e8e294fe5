export { redactUrl } from '../standards/urls.js';
