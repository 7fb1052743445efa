/** The app's one ApiClient (tests build their own). */
import { ApiClient } from './api';
import { defaultApiUrl } from './config';
import { secrets } from './storage';

export const api = new ApiClient({ baseUrl: defaultApiUrl(), store: secrets });
